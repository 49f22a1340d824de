"""Benchmark: per-language tokenizers vs spaCy's language-neutral ``xx`` tokenizer for one multilingual model.

The choice it documents (docs/architecture.md, "Multilingual projects"): a multilingual project trains one
``xx`` pipeline, and each document is tokenized by ``spacy.blank(<its language>).tokenizer``
(``nerspec.multilingual.DocMaker``) instead of the ``xx`` tokenizer.

No public multilingual NER data ships in a wheel nerspec may install, so the corpus is generated: German,
English, Russian, Greek, Chinese and Japanese sentences (templates with abbreviations, clitics and punctuation next to entities, the
cases where the tokenizers differ) with random names and places, 300 documents per language by default.

Measured, for both tokenizations:
1. span alignment: the share of gold entity edges that fall on token boundaries (a misaligned edge cannot be
   learned or predicted exactly);
2. tokenization throughput (documents/s) on the whole corpus;
3. strict micro F1 on a held-out 25% after the same tiny spaCy NER training (``--epochs``), per language.

Usage: python bench/multilingual_tokenizers.py [--docs 300] [--epochs 12] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATA = {
    "en": (["Alice Smith", "Bob O'Neil", "Carla Diaz", "Dr. Deepak Rao"], ["Paris", "New York", "St. Louis", "Boston"],
           ["{p}'s office is in {c}.", "Yesterday {p} flew to {c}, didn't she?", "We met {p} (again) in {c}!",
            "Mr. {p} lives in {c} e.g. near the station.", "\"{p}\" said: {c}'s weather is fine."]),
    "de": (["Anna Müller", "Jörg Weiß", "Prof. Klaus Böhm", "Eva-Maria Groß"], ["München", "Köln", "Frankfurt a.M.", "Zürich"],
           ["Gestern flog {p} nach {c}.", "{p} wohnt z.B. in {c}, Nr. 5.", "Wir trafen {p} in {c} am Bahnhof.",
            "Laut {p} ist {c} usw. teuer.", "„{p}“ kommt aus {c}."]),
    "ru": (["Иван Петров", "Ольга Смирнова", "Пётр Орлов", "А. С. Пушкин"], ["Москва", "Казань", "Санкт-Петербург", "Самара"],
           ["Вчера {p} прилетел в {c}.", "{p} живёт в {c}, т.е. недалеко.", "Мы встретили {p} в {c}!",
            "«{p}» родом из {c}.", "По словам {p}, {c} — красивый город."]),
    "zh": (["王伟", "李娜", "张伟"], ["北京", "上海", "广州"], ["{p}住在{c}。", "昨天{p}去了{c}。", "{p}说{c}很美。"]),
    "ja": (["山田太郎", "佐藤花子"], ["東京", "大阪", "京都"], ["{p}は{c}に住んでいます。", "昨日{p}は{c}へ行きました。"]),
    "el": (["Γιώργος Παπαδόπουλος", "Μαρία Ιωάννου", "Νίκος Κ. Δημητρίου"], ["Αθήνα", "Θεσσαλονίκη", "Πάτρα"],
           ["Χθες ο {p} πέταξε στην {c}.", "Η {p} μένει στην {c} κ.λπ.", "Συναντήσαμε τον {p} στην {c}!",
            "«{p}» είναι από την {c}."]),
}


def corpus(n: int, seed: int) -> list[tuple[str, str, list[tuple[int, int, str]]]]:
    rng = random.Random(seed)
    out = []
    for language, (people, places, templates) in DATA.items():
        for _ in range(n):
            person, place = rng.choice(people), rng.choice(places)
            text = rng.choice(templates).format(p=person, c=place)
            spans = []
            for value, label in ((person, "PERSON"), (place, "LOC")):
                start = text.index(value)
                spans.append((start, start + len(value), label))
            out.append((language, text, sorted(spans)))
    rng.shuffle(out)
    return out


def run(args: argparse.Namespace) -> None:
    import spacy
    from spacy.training import Example
    from spacy.util import filter_spans, fix_random_seed, minibatch

    from nerspec.multilingual import DocMaker

    data = corpus(args.docs, args.seed)
    cut = len(data) * 3 // 4
    train, test = data[:cut], data[cut:]
    print(f"corpus: {len(data)} documents ({args.docs} per language: {', '.join(DATA)}), {len(test)} held out")
    results = {}
    for mode in ("xx", "per-language"):
        fix_random_seed(args.seed)
        nlp = spacy.blank("xx")
        maker = DocMaker(nlp)

        def make(language: str, text: str, mode: str = mode, maker: DocMaker = maker) -> object:
            return maker(text, language if mode == "per-language" else None)

        for language in DATA:  # build each tokenizer once, outside the timing
            make(language, "warm up")
        started = time.perf_counter()
        docs = [make(language, text) for language, text, _ in data]
        throughput = len(data) / (time.perf_counter() - started)
        edges = aligned = 0
        for doc, (_, _, spans) in zip(docs, data):
            starts = {t.idx for t in doc}
            ends = {t.idx + len(t.text) for t in doc}
            for start, end, _ in spans:
                edges += 2
                aligned += (start in starts) + (end in ends)
        ner = nlp.add_pipe("ner")
        for label in ("PERSON", "LOC"):
            ner.add_label(label)
        examples = []
        for language, text, spans in train:
            doc = make(language, text)
            ents = filter_spans([x for s, e, label in spans
                                 if (x := doc.char_span(s, e, label=label, alignment_mode="expand")) is not None])
            examples.append(Example.from_dict(doc, {"entities": [(x.start_char, x.end_char, x.label_) for x in ents if x]}))
        optimizer = nlp.initialize(lambda examples=examples: examples)
        rng = random.Random(args.seed)
        for _ in range(args.epochs):
            rng.shuffle(examples)
            for batch in minibatch(examples, 16):
                nlp.update(batch, sgd=optimizer, drop=0.1)
        per: dict[str, list[int]] = {}
        for language, text, spans in test:
            predicted = nlp(make(language, text))  # type: ignore[arg-type]
            got = {(e.start_char, e.end_char, e.label_) for e in predicted.ents}
            gold = set(spans)
            counts = per.setdefault(language, [0, 0, 0])
            counts[0] += len(got & gold)
            counts[1] += len(got - gold)
            counts[2] += len(gold - got)
        f1 = {lang: 2 * tp / max(2 * tp + fp + fn, 1) for lang, (tp, fp, fn) in per.items()}
        tp, fp, fn = (sum(c[i] for c in per.values()) for i in range(3))
        results[mode] = (aligned / edges, throughput, 2 * tp / max(2 * tp + fp + fn, 1), f1)
        print(f"{mode:>13}: aligned edges {aligned / edges:.3f}, {throughput:,.0f} docs/s, micro F1 "
              f"{results[mode][2]:.3f} ({', '.join(f'{k} {v:.3f}' for k, v in sorted(f1.items()))})")
    xx, per_lang = results["xx"], results["per-language"]
    print(f"per-language / xx: alignment {per_lang[0] / xx[0]:.3f}x, throughput {per_lang[1] / xx[1]:.2f}x, "
          f"micro F1 {per_lang[2] - xx[2]:+.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300, help="documents per language")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
