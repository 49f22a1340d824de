#!/usr/bin/env python3
"""Generate the labeled data of the two example projects, deterministically.

    python tools/make_examples.py            # rewrite projects/example/data and projects/support-tickets/data

The output is committed; this script exists so that the data is reproducible and reviewable. Documents
are built from templates and slot vocabularies with a seeded ``random.Random``; every labeled slot is
recorded while the text is assembled, so a span always covers exactly the slot value. Offsets and
lengths in the labels JSON count UTF-16 code units (the reference ``Utf16CodeUnit`` string index type).

Layout (the reference "Labels file"): ``data/labels.json`` plus one UTF-8 ``.txt`` file per document
beside it, named by ``location``. Every document is marked ``"dataset": "Train"``; the manifest's split
policy decides the test side (as the reference's percentage split divides the Train documents).

Two labeling slips are introduced on purpose in the NER project (see ``NER_SLIPS`` and
``projects/example/README.md``) so that the label lint has something real to find.

Only the standard library is used.
"""

from __future__ import annotations

import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NER_DIR = ROOT / "projects" / "example" / "data"
CLS_DIR = ROOT / "projects" / "support-tickets" / "data"
LANGUAGE = "en"


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (astral characters count 2)."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------------------
# Document assembly: templates with {slot} placeholders; labeled slots become spans.
# --------------------------------------------------------------------------------------------------

SLOT_RE = re.compile(r"\{(\w+)\}")


@dataclass
class Doc:
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # code points, end exclusive
    template: str = ""


def render(template: str, values: dict[str, str], labeled: dict[str, str], lower: bool = False) -> Doc:
    """Fill ``template``; slots named in ``labeled`` (slot -> entity type) become spans.

    With ``lower`` every piece is lower-cased before offsets are taken (casual emails), so offsets stay
    exact even where lower-casing changes a string's length.
    """
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = 0
    last = 0
    for m in SLOT_RE.finditer(template):
        literal = template[last : m.start()]
        if parts and parts[-1].endswith(".") and literal.startswith("."):
            literal = literal[1:]  # "Ltd." ends the sentence: one period, not two
        if lower:
            literal = literal.lower()
        parts.append(literal)
        pos += len(literal)
        value = values[m.group(1)]
        if lower:
            value = value.lower()
        if m.group(1) in labeled:
            spans.append((pos, pos + len(value), labeled[m.group(1)]))
        parts.append(value)
        pos += len(value)
        last = m.end()
    tail = template[last:]
    if parts and parts[-1].endswith(".") and tail.startswith("."):
        tail = tail[1:]
    parts.append(tail.lower() if lower else tail)
    return Doc("".join(parts), spans, template)


# --------------------------------------------------------------------------------------------------
# NER: loan agreements, term sheets, credit memos and emails about loans.
# --------------------------------------------------------------------------------------------------

NER_LABELS = {
    "B": "BorrowerName",
    "L": "LenderName",
    "G": "GuarantorName",
    "AMT": "LoanAmount",
    "RATE": "InterestRate",
    "MAT": "MaturityDate",
}
NER_TYPES = list(NER_LABELS.values())

BORROWER_COMPANIES = [
    "Brightwater Farms LLC", "Harlow & Finch Logistics Ltd.", "Pinecrest Dental Group, P.C.", "Okafor Textiles Ltd",
    "Blue Heron Brewing Company", "Sunridge Solar Installations, Inc.", "Castellano Family Vineyards LLC",
    "Nordlicht Bakery GmbH", "Redfield Auto Body", "Tidewater Marine Services Inc.", "Greenleaf Pediatrics PLLC",
    "Alder Street Apartments LP", "Kestrel Software Corp.", "Marigold Hospitality Group", "Ironbridge Fabrication Co.",
    "Lakeshore Montessori School", "Quarry Hill Construction LLC", "Oakmont Veterinary Clinic",
    "Saffron & Sage Restaurants Inc.", "Copperline Electrical Contractors", "Westbrook Storage Partners",
    "Mesa Verde Plumbing LLC", "Halcyon Biotech, Inc.", "Thornbury Printing Works Ltd", "Velasquez Trucking Inc.",
    "Silver Birch Senior Living LLC", "Cobalt Ridge Mining Corp.", "The Gilded Spoon Café LLC",
    "Société Fromagère du Jura SARL", "Müller Präzisionstechnik GmbH", "Shenzhen Huaxin Trading Co., Ltd.",
    "Østergaard Møbler ApS", "São Paulo Coffee Importers LLC", "Bellwether Analytics", "Prairie Wind Grain Cooperative",
    "Northwind Fitness Studios Inc.", "Delacroix Architecture Partners", "Eastgate Medical Imaging Center LLC",
    "The Board of Trustees of the Riverside Community Health Foundation, Inc.", "Meridian Holdings Inc.",
    "Atlas Equipment Rentals LLC", "Summit Ridge Hotels LP",
]
BORROWER_PEOPLE = [
    "Maria González", "James T. O'Connell", "Priya Raghunathan", "Chen Wei", "Zoë Lindqvist", "Łukasz Wójcik",
    "Amara Okonkwo", "Renée Dubois-Martin", "Kwame Mensah", "Hiroshi Tanaka", "Isabella Rossi", "Nguyễn Thị Lan",
    "Oluwaseun Adeyemi", "Fatima Al-Sayed", "Mateo Hernández", "Siobhán Ní Bhriain", "Björn Eriksson",
    "Robert Kowalczyk", "Aisha Bello", "Thomas J. Whitfield III", "Eleanor Vance", "Rajesh Kumar Iyer",
    "Chloé Moreau", "王芳", "Daniel Whitaker", "John Miller", "Sarah Thompson", "Emily Carter", "Michael Brown",
    "Laura Bennett", "David Kim", "Anna Fischer", "Peter Novak", "Mary Johnson", "Tom Baker",
]
LENDER_COMPANIES = [
    "First Meridian Bank, N.A.", "Caldera Credit Union", "Northgate Capital Partners LP", "Bank of the Cascades",
    "Harbor Point Savings Bank", "Summit Ridge Lending LLC", "Atlas Equipment Finance LLC",
    "Pacific Crest Federal Credit Union", "Granite State Community Bank", "Evergreen Mezzanine Fund II, L.P.",
    "Banque Lémanique SA", "Kreditanstalt Nordhafen AG", "Union Trust of Ohio", "Bluestem Agricultural Credit, ACA",
    "Redwood Commercial Finance", "Keystone Business Capital", "Sterling & Hayes Private Credit", "Crescent Bay Bank",
    "MidAmerica Farm Credit", "Ridgeline Venture Debt Partners", "Copperfield Savings and Loan",
    "Lakeside National Bank", "Highmark Capital Lending Corp.", "Pioneer Bank", "Summit Bank", "Beacon Bank",
    "Oak Valley Bank", "Crestline Bank", "Harborview Bank", "Maple Street Bank",
]
LENDER_PEOPLE = ["Thomas Reilly", "Margaret Chu", "Gerald Abernathy", "Inés Carvalho", "Samuel Okoro", "Ruth Goldberg"]
GUARANTORS = [
    "Patricia Okafor", "Victor Castellano", "Helga Brandt", "Kestrel Group Holdings plc", "Daniel Whitaker",
    "Marcus Delacroix", "Yuki Tanaka", "Brightwater Holdings LLC", "Gabriel Velasquez", "Anneliese Müller",
    "Samir Haddad",
]
# Names that appear without a label: contacts, officers, counsel, banks in other roles.
CONTACTS = [
    "Dana", "Kevin", "Laura", "Marcus", "Emily", "Sophie", "Ahmed", "Grace", "Tom", "Priyanka", "Jonas", "Beatriz",
]
OFFICERS = [
    "Kevin Park, Vice President", "Laura Jiménez, Senior Loan Officer", "Marcus Bell, Credit Analyst",
    "Emily Zhang, Relationship Manager", "Sophie Laurent, Portfolio Manager", "Ahmed Haddad, Loan Servicing",
]
# People in roles that are not parties: witnesses, notaries, officers, accountants, attorneys, journalists. They
# never borrow, lend or guarantee, so the model has to read the role from the sentence, not the name.
OTHER_PEOPLE = [
    "Jennifer Walsh", "Robert Hayes", "Karen Liu", "Mark Stevens", "Olivia Grant", "Brian O'Neill", "Nadia Petrova",
    "Carlos Mendes", "Susan Park", "Ethan Cole", "Rachel Adams", "George Lambert",
]
ROLES = ["a notary", "the closing attorney", "an appraiser", "a witness", "the borrower's accountant",
         "a reporter at the Business Journal", "the escrow officer"]
OTHER_BANKS = ["Wells Street Bank", "Coastal Trust Company", "Fenwick Savings Bank", "Old Harbor Bank & Trust"]
OTHER_FIRMS = ["Baxter Lyle LLP", "Keller Valuation Services", "Morrow & Pike LLP", "Greystone Title Company"]
COMPETITOR_LENDERS = ["Wells Street Bank", "Fenwick Savings Bank", "Prospect Hill Capital"]
CITIES = ["Denver", "Portland", "Columbus", "Raleigh", "Boise", "Albany", "Tucson", "Madison", "Zürich", "Montréal"]
ADDRESSES = [
    "1420 Alder Street, Portland, Oregon", "88 Quarry Road, Boise, Idaho", "17 Harbor View Drive, Tacoma, Washington",
    "2901 Elm Avenue, Madison, Wisconsin", "55 Rue du Marché, Montréal, Québec",
]
EMOJI = ["🎉", "👍", "🙏", "📎", "💰", "🏦", "😊", "✅", "📈"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


CURRENCIES = {  # family -> surface prefixes; the first is the one used for fees and other amounts
    "USD": ["$", "$", "$", "USD ", "US$ "],
    "EUR": ["€", "EUR "],
    "GBP": ["£", "GBP "],
    "CHF": ["CHF "],
}


def pick_currency(r: random.Random) -> str:
    return r.choices(list(CURRENCIES), weights=[70, 15, 10, 5])[0]


def money(r: random.Random, value: float, casual: bool = False, currency: str = "USD", primary: bool = False) -> str:
    """A money amount in one of the surface forms found in loan paperwork."""
    prefix = CURRENCIES[currency][0] if primary else r.choice(CURRENCIES[currency])
    whole = f"{value:,.0f}"
    millions = value / 1_000_000
    mstr = f"{millions:.2f}".rstrip("0").rstrip(".")
    if casual:
        forms = [f"{prefix}{whole}", f"{prefix}{mstr}MM" if value >= 1e6 else f"{prefix}{value / 1000:.0f}k",
                 f"{mstr} mil" if value >= 1e6 else f"{value / 1000:.0f}k",
                 f"{prefix}{mstr} million" if value >= 1e6 else f"{prefix}{whole}"]
        return r.choice(forms)
    forms = [f"{prefix}{whole}", f"{prefix}{whole}.00"]
    if value >= 1e6:
        forms += [f"{prefix}{mstr} million", f"{prefix}{mstr}MM", f"{prefix}{mstr}M"]
    elif value % 1000 == 0:
        forms += [f"{prefix}{value / 1000:.0f}K"]
    return r.choice(forms)


def words_dollars(value: int) -> str:
    """"Two Hundred Fifty Thousand Dollars ($250,000.00)" for round amounts."""
    ones = ["", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve",
            "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"]
    tens = ["", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"]

    def under_1000(n: int) -> str:
        out = []
        if n >= 100:
            out += [ones[n // 100], "Hundred"]
            n %= 100
        if n >= 20:
            out.append(tens[n // 10])
            n %= 10
        if n:
            out.append(ones[n])
        return " ".join(out)

    parts = []
    if value >= 1_000_000:
        parts += [under_1000(value // 1_000_000), "Million"]
    if (value // 1000) % 1000:
        parts += [under_1000((value // 1000) % 1000), "Thousand"]
    return f"{' '.join(parts)} Dollars (${value:,.2f})"


def loan_value(r: random.Random) -> int:
    return r.choice([
        r.randrange(50, 1000) * 1000,
        r.randrange(10, 200) * 25_000,
        r.randrange(4, 120) * 250_000,
    ])


def rate(r: random.Random, fixed_only: bool = False) -> str:
    fixed = r.choice(["4.875", "5.25", "5.9", "6.125", "6.25", "6.75", "7.0", "7.125", "7.5", "8.25", "9.0", "11.5"])
    margin = r.choice(["1.50", "1.75", "2.25", "2.75", "3.10", "3.25", "4.00", "0.75"])
    if fixed_only:
        return r.choice([f"{fixed}%", f"{fixed} percent", f"{fixed}% simple"])
    return r.choice([
        f"{fixed}%", f"{fixed}%", f"{fixed}%", f"{fixed} percent", f"Term SOFR + {margin}%", f"SOFR plus {margin}%",
        f"the Prime Rate plus {margin}%", f"Prime + {margin}%", f"EURIBOR + {margin}%", f"SONIA plus {margin}%",
        f"SOFR + {int(float(margin) * 100)} bps",
    ])


def date(r: random.Random, year_from: int, year_to: int, casual: bool = False) -> str:
    y, m, d = r.randint(year_from, year_to), r.randint(1, 12), r.randint(1, 28)
    month = MONTHS[m - 1]
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(d, "th")
    if casual:
        return r.choice([f"{month} {d}", f"{m}/{d}/{y}", f"{month[:3]} {d}, {y}", f"{d} {month[:3]} {y}"])
    return r.choice([
        f"{month} {d}, {y}", f"{month} {d}, {y}", f"{d} {month} {y}", f"{y}-{m:02d}-{d:02d}", f"{m:02d}/{d:02d}/{y}",
        f"{d:02d}.{m:02d}.{y}", f"the {d}{suffix} day of {month}, {y}", f"{month[:3]}. {d}, {y}",
    ])


# Each template: (text, style). style "formal" or "casual" (casual may be lower-cased and uses casual forms).
NER_TEMPLATES: list[tuple[str, str]] = [
    ('This Loan Agreement is entered into on {sign} by and between {L} (the "Lender") and {B} (the "Borrower"). '
     "The Lender agrees to lend the Borrower the principal sum of {AMT}.", "formal"),
    ("The Borrower shall repay the outstanding principal of {AMT}, together with accrued interest at {RATE} per annum, "
     "in full on or before {MAT}.", "formal"),
    ("FOR VALUE RECEIVED, {B} promises to pay to the order of {L} the principal amount of {AMT}, with interest on the "
     "unpaid balance at the rate of {RATE} per annum, payable in monthly installments of {pay} beginning {first}.",
     "formal"),
    ("Interest shall accrue on the unpaid principal at {RATE}. Upon an Event of Default the rate shall increase by an "
     "additional {dflt}. All amounts then outstanding are due on the Maturity Date, {MAT}.", "formal"),
    ("Section 2.1 Commitment. Subject to the terms hereof, {L} shall make a term loan to {B} in an aggregate amount not "
     "to exceed {AMT}. An origination fee of {fee} is payable at closing.", "formal"),
    ('{B} (the "Borrower") hereby acknowledges receipt of {AMT} from {L} on {date}. {B} shall pay interest monthly at {RATE} '
     "until the loan matures on {MAT}.", "formal"),
    ("AMENDMENT NO. {n} TO LOAN AGREEMENT. The Maturity Date is hereby extended from {olddate} to {MAT}, and the "
     "interest rate is reduced to {RATE}. All other terms of the agreement between {B} and {L} remain unchanged.",
     "formal"),
    ("The loan to {B} is secured by a first-priority deed of trust on the property at {addr}, appraised by {firm} at "
     "{appraised}, for a loan-to-value ratio of {ltv}.", "formal"),
    ("INDICATIVE TERM SHEET\nBorrower: {B}\nLender: {L}\nFacility: Senior secured term loan\nAmount: {AMT}\n"
     "Pricing: {RATE}\nMaturity: {MAT}\nUpfront fee: {feepct} of the commitment", "formal"),
    ("Summary of Terms for {B}\nCommitment: {AMT} revolving credit facility provided by {L}\n"
     "Interest: {RATE}, payable quarterly in arrears\nUnused line fee: {feepct}\nTermination date: {MAT}", "formal"),
    ("Facility Amount | {AMT}\nInterest Rate | {RATE}\nFinal Maturity | {MAT}\nArrangement Fee | {fee}\n"
     "Governing Law | State of New York", "formal"),
    ("{emoji} Hi {contact},\nGood news: credit committee approved the {AMT} loan for {B} this morning. Pricing came in "
     "at {RATE}. I will send the commitment letter by {date}.\n{officer}", "casual"),
    ("hi {contact} - {L} came back with a counter. they will do {AMT} but want {RATE} and a maturity of {MAT}. "
     "the borrower ({B}) is ok with it, thoughts?", "casual"),
    ("Subject: Payoff request for {B}\nPlease send a payoff statement for loan #{loanno}. Our records show an original "
     "principal of {AMT} maturing {MAT}; the payoff should exclude the {fee} prepayment fee per our agreement.",
     "formal"),
    ("Quick reminder that the annual review for {B} is due on {date}. Their revenue last year was {other} and the line "
     "with us is {AMT} at {RATE}.", "casual"),
    ("Dear {Bp},\nOn behalf of {L}, I am pleased to confirm that your application for a loan of {AMT} has been "
     "approved. The interest rate will be {RATE}, with the final payment due {MAT}.\nSincerely,\n"
     "{officer}", "formal"),
    ("FYI {emoji} {L} will not renew the {AMT} line for {B}; their credit officer, {contact}, said the loan matures "
     "{MAT} as scheduled and they won't extend it.", "casual"),
    ("Credit memo: {B} requests {AMT} to refinance existing debt with {otherbank} and to fund new equipment. "
     "Proposed rate {RATE}; proposed maturity {MAT}. Pro forma DSCR {dscr}.", "formal"),
    ("Loan #{loanno} booked: borrower {B}, principal {AMT}, rate {RATE}, matures {MAT}. Closing costs of {fee} were "
     "paid by the borrower.", "formal"),
    ("{B} has drawn {draw} under its {AMT} facility with {L}; remaining availability is {avail}.", "formal"),
    ("Re: {B}\nWe are the lender of record ({L}); please direct all correspondence about the {AMT} note to {contact} "
     "in our {city} office.", "formal"),
    ("{L} may not assign its rights under this Agreement without the prior written consent of {B}, which consent "
     "shall not be unreasonably withheld.", "formal"),
    ("Promissory note. I, {Bp}, borrowed {AMT} from {Lp} on {sign} and promise to pay it back with {RATE} interest by "
     "{MAT}.", "formal"),
    ("Family loan agreement between {Lp} (lender) and {Bp} (borrower). Amount: {AMT}. Interest: {RATE}. Repayment in "
     "full no later than {MAT}.", "formal"),
    ("{contact}, the applicant {Bp} disclosed a private loan of {AMT} from {Lp} at {RATE}, due {MAT}. It has to go "
     "into the debt-to-income calculation before underwriting signs off.", "formal"),
    ("NOTICE OF DEFAULT. {L} hereby notifies {B} that the installment of {pay} due on {date} was not received. "
     "Interest will accrue at the default rate of {dfltrate} from that date.", "formal"),
    ("Per the Loan Agreement dated {sign}, {B} must maintain a debt service coverage ratio of at least {dscr} and "
     "deliver audited financial statements to {L} within 120 days after fiscal year-end.", "formal"),
    ("{B} closed a {AMT} SBA 7(a) loan with {L} at {RATE}.", "casual"),
    ("{B} asked us to increase the existing {oldamt} facility to {AMT}. {contact} thinks {L} will agree if the rate "
     "moves to {RATE}.", "casual"),
    ("The {term}-year loan of {AMT} from {L} carries a rate of {RATE} and matures on {MAT}; {B} may prepay without "
     "penalty after {date}.", "formal"),
    ("All payments under the Note shall be made to {L} by wire transfer. {B} maintains its operating account at "
     "{otherbank}, which is not a party to this Agreement.", "formal"),
    ("Closing checklist for {B} 📎\n- signed note for {AMT}\n- title policy from {firm}\n- insurance certificate naming "
     "{L} as loss payee\n- wire of {fee} closing fee", "casual"),
    ("{contact}, can you confirm the rate on the {B} loan? The note says {RATE} but the servicing system "
     "shows a different margin. Maturity is {MAT}.", "casual"),
    ("The Borrower, {B}, represents that the Borrower has no indebtedness for borrowed money other than the loan from {L} and an "
     "equipment lease of {other} with {otherbank}.", "formal"),
    ("Escrow instructions: {firm} will hold {other} in escrow until {L} funds the {AMT} loan to {B} on {date}.",
     "formal"),
    # Headline shapes: one short sentence, the parties around a verb, in both orders.
    ("{L} lends {AMT} to {B}.", "formal"),
    ("{L} lent {AMT} to {B} on {date}.", "formal"),
    ("{B} borrows {AMT} from {L}.", "formal"),
    ("{B} borrowed {AMT} from {L} at {RATE}, repayable by {MAT}.", "formal"),
    ("{L} extends a {AMT} loan to {B} at {RATE}.", "formal"),
    ("{L} will lend {B} {AMT} at {RATE} until {MAT}.", "formal"),
    ("{B} gets {AMT} from {L}, due {MAT}.", "casual"),
    ("{B} took out a {AMT} loan with {L}.", "casual"),
    ("A {AMT} loan from {L} to {B} closed on {date}.", "formal"),
    ("{L} lends {AMT} to {B} at {RATE} until {MAT}.", "formal"),
    ("{L} approved a {AMT} loan for {B}.", "formal"),
    ("Yesterday {L} loaned {B} {AMT}; {person} of {firm} drafted the note.", "casual"),
    # Distractors: people who are not parties, amounts that are not the principal.
    ("{L} advanced {AMT} to {B}. The note was witnessed by {person} and notarized by {person2} on {sign}.",
     "formal"),
    ("{person}, a loan officer at {L}, approved {AMT} for {B}. {person2}, {role}, valued the collateral at "
     "{appraised}.", "formal"),
    ("{B} repaid {pay} of the {AMT} loan from {L} on {date}; {person} confirmed receipt.", "casual"),
    ("{L} lends {AMT} to {B}, repayable by {MAT}. {person}, {role}, reported annual revenue of {other} for {B}.",
     "formal"),
    ("Press release. {L} provides {AMT} in financing to {B} at {RATE}. \"This loan lets us grow,\" said {person}, "
     "who advised {B} on the deal. {person2} covered the closing for a fee of {fee}.", "formal"),
    ("{person} introduced {B} to {L}, which lent {B} {AMT} at {RATE}. {person} received a referral fee of {fee}.",
     "formal"),
    ("Meeting notes ({date}): {person} and {person2} from {firm} joined. {B} wants {AMT} from {L}; the existing "
     "{oldamt} line with {otherbank} will be paid off.", "casual"),
]

GUARANTOR_TEMPLATES: list[tuple[str, str]] = [
    ("GUARANTY. {G} unconditionally guarantees the prompt payment of all obligations of {B} to {L} under the Note, "
     "including the principal amount of {AMT}.", "formal"),
    ("Personal Guaranty: as a condition of the {AMT} loan to {B}, {G} personally guarantees repayment to {L} in full.",
     "formal"),
    ("{G}, as guarantor, and {B}, as borrower, executed the loan documents on {sign}.", "formal"),
    ("Hi {contact}, the guarantor on the {B} deal is {G}. Please pull a credit report on {G} before we close.",
     "casual"),
    ("The parent guarantee from {G} covers the {AMT} facility extended by {L} to its subsidiary {B} under the Credit Agreement.", "formal"),
    ("Lender: {L}; Borrower: {B}; Guarantor: {G}; Principal: {AMT}; Rate: {RATE}; Maturity: {MAT}.", "formal"),
]
# Which guarantor template each of the 11 guarantor documents uses: 11 documents, 13 GuarantorName instances.
GUARANTOR_SCHEDULE = [0, 1, 2, 3, 4, 5, 0, 1, 3, 5, 4]

N_NER_DOCS = 240


def ner_values(r: random.Random, template: str, style: str) -> dict[str, str]:
    casual = style == "casual"
    personal = "{Lp}" in template  # loans between people: small, fixed rate
    company_only = " its " in template  # "its operating account", "its subsidiary"
    person_share = 0.5 if len(template) < 80 else 0.3  # headline sentences: people borrow as often as companies
    b = r.choice(BORROWER_PEOPLE if r.random() < person_share and not company_only else BORROWER_COMPANIES)
    lender = r.choice(LENDER_COMPANIES)
    while lender == b:
        lender = r.choice(LENDER_COMPANIES)
    cur = "USD" if personal else pick_currency(r)
    amount = r.randrange(5, 80) * 1000 if personal else loan_value(r)
    amt = money(r, amount, casual, cur)
    if not casual and cur == "USD" and r.random() < 0.12:
        amt = words_dollars(amount)
    sym = CURRENCIES[cur][0]
    drawn = r.choice([0.25, 0.4, 0.6])
    ltv = r.choice([0.65, 0.7, 0.725, 0.58, 0.8])
    # Unlabeled amounts end in hundreds, so they never repeat a (labeled) loan amount string.
    odd = lambda v: int(v) + r.randrange(1, 10) * 100  # noqa: E731
    small = lambda lo, hi: f"{sym}{r.randrange(lo, hi):,}"  # noqa: E731
    return {
        "B": b,
        "Bp": r.choice(BORROWER_PEOPLE),
        "L": lender,
        "Lp": r.choice(LENDER_PEOPLE),
        "G": r.choice(GUARANTORS),
        "AMT": amt,
        "RATE": rate(r, fixed_only=personal),
        "MAT": date(r, 2026, 2036, casual),
        "sign": date(r, 2021, 2025),
        "first": date(r, 2024, 2026),
        "date": date(r, 2024, 2026, casual),
        "olddate": date(r, 2025, 2027),
        "fee": small(500, 25_000),
        "pay": f"{sym}{r.randrange(800, 60_000):,}.{r.randrange(100):02d}",
        "other": money(r, odd(loan_value(r) * r.choice([2, 3, 5])), casual, cur, primary=True),
        "oldamt": money(r, odd(loan_value(r)), casual, cur),
        "draw": money(r, amount * drawn, casual, cur, primary=True),
        "avail": money(r, amount * (1 - drawn), casual, cur, primary=True),
        "appraised": money(r, odd(round(amount / ltv, -3)), casual, cur, primary=True),
        "feepct": r.choice(["0.50%", "1.00%", "0.25%", "1.5%", "75 bps"]),
        "ltv": f"{ltv * 100:g}%",
        "dflt": r.choice(["2.00%", "3%", "5.0%", "four percent (4%)"]),
        "dfltrate": r.choice(["18% per annum", "the Note rate plus 5%", "12.0%", "the maximum lawful rate"]),
        "dscr": r.choice(["1.25x", "1.20x", "1.35x", "1.5x"]),
        "n": str(r.randint(1, 4)),
        "term": str(r.choice([3, 5, 7, 10, 15])),
        "loanno": str(r.randrange(100000, 999999)),
        "contact": r.choice(CONTACTS),
        "person": (people := r.sample(OTHER_PEOPLE, 2))[0],
        "person2": people[1],
        "role": r.choice(ROLES),
        "officer": r.choice(OFFICERS),
        "otherbank": r.choice(OTHER_BANKS + COMPETITOR_LENDERS),
        "firm": r.choice(OTHER_FIRMS),
        "city": r.choice(CITIES),
        "addr": r.choice(ADDRESSES),
        "emoji": r.choice(EMOJI),
    }


NER_SLOT_LABELS = {**NER_LABELS, "Bp": "BorrowerName", "Lp": "LenderName"}

# Deliberate labeling slips (documented in projects/example/README.md):
# 1. the second mention of the borrower in the first document built from template 5 ({B} twice) is left untagged;
# 2. the LoanAmount span of the first one-passage document whose amount ends a sentence in a digit or ")" takes
#    the period.
NER_SLIPS: list[str] = []


LONG_DOCUMENT_SHARE = 0.3


def _combinable(template: str) -> bool:
    """Passages with the company parties ({B}, {L}) share one loan; person-to-person notes ({Bp}, {Lp}) stand alone."""
    return "{Bp}" not in template and "{Lp}" not in template


def render_parts(parts: list[str], values: dict[str, str], lower: bool) -> Doc:
    """Render each passage with the same values and join them with blank lines, shifting the spans."""
    text, spans = "", []
    for template in parts:
        if text:
            text += "\n\n"
        piece = render(template, values, NER_SLOT_LABELS, lower=lower)
        spans += [(start + len(text), end + len(text), label) for start, end, label in piece.spans]
        text += piece.text
    return Doc(text, spans)


def make_ner(seed: int = 20240613) -> list[Doc]:
    r = random.Random(seed)
    docs: list[Doc] = []
    seen: set[str] = set()
    guarantor_positions = set(r.sample(range(N_NER_DOCS), len(GUARANTOR_SCHEDULE)))
    schedule = iter(GUARANTOR_SCHEDULE)
    # Short headline sentences three times as often: a reader's first test of a model looks like them.
    headlines = [i for i, (t, _) in enumerate(NER_TEMPLATES) if len(t) < 80]
    order = (list(range(len(NER_TEMPLATES))) + headlines * 2) * (N_NER_DOCS // len(NER_TEMPLATES) + 1)
    r.shuffle(order)
    order_iter = iter(order)
    for i in range(N_NER_DOCS):
        if i in guarantor_positions:
            t_index = next(schedule)
            template, style = GUARANTOR_TEMPLATES[t_index]
            tag = f"G{t_index}"
        else:
            t_index = next(order_iter)
            template, style = NER_TEMPLATES[t_index]
            tag = f"T{t_index}"
        parts = [template]
        if tag.startswith("T") and _combinable(template) and r.random() < LONG_DOCUMENT_SHARE:
            # A loan file: several passages about the same loan, so entities recur and documents run longer.
            others = [t for t, _ in NER_TEMPLATES if t != template and _combinable(t)]
            parts += r.sample(others, r.randint(2, 3))
            tag = "M"
        while True:
            values = ner_values(r, "\n\n".join(parts), style)
            lower = len(parts) == 1 and style == "casual" and r.random() < 0.4
            doc = render_parts(parts, values, lower)
            doc.template = tag
            if doc.text not in seen:
                break
        seen.add(doc.text)
        docs.append(doc)
    apply_ner_slips(docs)
    return docs


def apply_ner_slips(docs: list[Doc]) -> None:
    NER_SLIPS.clear()
    for n, doc in enumerate(docs):
        if doc.template == "T5":
            borrower = [s for s in doc.spans if s[2] == "BorrowerName"]
            doc.spans.remove(borrower[1])
            NER_SLIPS.append(f"{doc_name('loan', n)}: second mention of BorrowerName {doc.text[borrower[1][0]:borrower[1][1]]!r} untagged")
            break
    for n, doc in enumerate(docs):
        amounts = [s for s in doc.spans if s[2] == "LoanAmount"]
        if doc.template.startswith("T") and len(amounts) == 1:
            amount = amounts[0]
            # After a letter ("$2.5M.") the dot could end an abbreviation; after a digit it is the sentence's.
            if doc.text[amount[1] : amount[1] + 1] == "." and not doc.text[amount[1] - 1].isalpha():
                doc.spans[doc.spans.index(amount)] = (amount[0], amount[1] + 1, amount[2])
                NER_SLIPS.append(f"{doc_name('loan', n)}: LoanAmount span takes the sentence's final period "
                                 f"{doc.text[amount[0]:amount[1] + 1]!r}")
                break


# --------------------------------------------------------------------------------------------------
# Text classification: support tickets for "Ledgerly", an invoicing and bookkeeping web app.
# --------------------------------------------------------------------------------------------------

CLASS_DESCRIPTIONS = {
    "Billing": "Charges, invoices, refunds of a charge, payment methods, prices, taxes on our bill.",
    "TechnicalIssue": "Something in the product is broken, slow or wrong: errors, crashes, sync, exports, the API.",
    "AccountAccess": "Signing in: passwords, two-factor codes, locked accounts, SSO, invitations, account ownership.",
    "FeatureRequest": "Asks for something the product does not do yet.",
    "Cancellation": "Wants to cancel, not renew, close the account or leave, whatever else the ticket mentions.",
}
CLASS_COUNTS = {"Billing": 58, "TechnicalIssue": 54, "AccountAccess": 44, "FeatureRequest": 36, "Cancellation": 28}

PLANS = ["Starter", "Team", "Business", "Enterprise"]
COMPETITORS = ["QuickLedger", "InvoiceNinja", "BookWise", "Tallyhub"]
TOOLS = ["Shopify", "Stripe", "HubSpot", "Xero", "Salesforce", "Slack", "Google Sheets"]
BROWSERS = ["Chrome", "Firefox", "Safari", "Edge"]
PLATFORMS = ["iOS 17", "Android 14", "Windows 11", "macOS", "an iPad", "a Pixel 8"]
IDPS = ["Okta", "Azure AD", "Google Workspace", "OneLogin"]
FEATURES = ["dark mode", "bulk edit for invoices", "Excel export", "custom invoice numbering", "a Zapier trigger",
            "per-client currency", "an offline mode"]
NAMES = ["Anna", "Raj", "Jürgen", "Lucía", "Tom", "Mei", "Olga", "Dev", "Chiara", "Sam", "Noah", "Ingrid", "Kofi",
         "Hélène", "Pat", "Yusuf"]
COMPANIES = ["Fernwood Studio", "Brightpath Consulting", "Okafor & Sons", "Nordic Bike Repair", "Café Lumière",
             "Greenway Landscaping", "Pixelhaus GmbH", "Tanaka Design", "Riverside Dental"]

GREETINGS = ["Hi,", "Hello,", "Hello support team,", "Hey there,", "Dear Sir or Madam,", "Hi Ledgerly team,", "hi",
             "Good morning,", "", "", ""]
CLOSINGS = ["Thanks,\n{name}", "Regards,\n{name}", "Thank you!", "Sent from my iPhone", "Cheers, {name}",
            "{name} ({company})", "Thanks in advance 🙏", "", "", "", "Ticket ref #{num}"]

BODIES: dict[str, list[str]] = {
    "Billing": [
        "I was charged {amt} twice this month for the {plan} plan. Can you refund the duplicate charge?",
        "Invoice #{num} shows {amt} but our plan is supposed to be {amt2} per month. Please correct it.",
        "Our card ending in {card} was declined and now the account shows a past due balance of {amt}. How do I "
        "update the payment method?",
        "Can you send a VAT invoice with our company name ({company}) for the {month} payment?",
        "We upgraded from {plan} to {plan2} in the middle of the cycle and the prorated amount of {amt} looks wrong.",
        "Why did our price go up to {amt}? Nobody told us about a price change.",
        "I need a receipt for the annual subscription, our accountant is asking for it.",
        "The sales tax on our last bill seems off. We are tax exempt, certificate attached.",
        "I switched to annual billing on {date} but I'm still being charged monthly.",
        "We are being billed for {n} seats but we only have {m} active users.",
        "Got a charge of {amt} from Ledgerly on my credit card statement and I don't recognise it.",
        "Please change the billing email to accounts@{domain} so invoices go to finance.",
        "Is there a discount for nonprofits? We'd pay yearly for the {plan} plan.",
        "The refund you promised on {date} still hasn't shown up on my card.",
        "I cancelled the extra seats last month but you still charged us {amt} for them.",
        "I can't find where to download invoices since the redesign. Accounting needs the {month} one.",
        "After our card expired the account got locked and now shows {amt} overdue. How do I pay it?",
        "Your checkout page threw an error but my card was still charged {amt}.",
    ],
    "TechnicalIssue": [
        "The invoice PDF export fails with error {code}.",
        "The app crashes when I open the Reports tab on {platform}.",
        "Bank sync has been stuck on 'pending' since {date}.",
        "The dashboard takes over a minute to load in {browser}.",
        "The API returns a 500 on POST /v2/invoices since this morning. Request id {code}.",
        "The CSV import silently skips rows with accented characters like é or ñ.",
        "Recurring invoices were not sent on {date} even though they are scheduled.",
        "After the latest update the mobile app shows a blank screen on {platform}.",
        "Totals on the tax report don't match the invoices, looks like a rounding bug.",
        "Webhook deliveries to our endpoint keep timing out.",
        "Clicking 'Send reminder' does nothing, no email goes out and no error is shown.",
        "The client portal shows other clients' logos on the invoice preview ({browser}).",
        "Attachments over 2 MB fail to upload with 'Network error'.",
        "Search returns nothing for invoice numbers that contain a dash.",
        "The billing page shows error {code} when I try to download last month's invoice.",
        "The login page just spins forever in {browser}; every other site loads fine.",
        "Payment reminders go out twice to our clients, and with the wrong amount.",
        "Since the update I can't export anything at all. Please fix it or bring back the old exporter.",
    ],
    "AccountAccess": [
        "I can't log in, it says my password is incorrect even right after resetting it.",
        "The two-factor code never arrives on my phone so I'm locked out.",
        "My account got locked after too many attempts, please unlock {email}.",
        "The password reset email never shows up, I checked spam.",
        "I lost my phone with the authenticator app. How do I get back into my account?",
        "Our admin left the company and nobody can get into the owner account. How do we transfer ownership?",
        "SSO login through {idp} fails with 'user not provisioned'.",
        "I need to change the email address I sign in with but I no longer have access to the old mailbox.",
        "I get 'session expired' every single time I sign in.",
        "I invited a colleague ({email}) but the invitation link says it has expired.",
        "Someone changed my password and I didn't do it. Please lock the account and help me get back in.",
        "Which email is my login? I have two and neither works.",
        "I can't log in to update my card, so next month's payment is going to bounce.",
        "The app crashes right after I enter my 2FA code, so I can't get into my account.",
        "Before we leave I need to get into my account to export our data, but the password reset doesn't work.",
    ],
    "FeatureRequest": [
        "It would be great if we could export reports to Excel, not just PDF.",
        "Please add support for several currencies on one invoice.",
        "Any plans for {feature}?",
        "Could you add a way to set different tax rates per line item?",
        "We'd love an integration with {tool}.",
        "Feature idea: let us schedule reminders for overdue invoices automatically.",
        "Can you allow more than one admin per workspace?",
        "It would be nice to pay by bank transfer instead of card on annual plans.",
        "Please add custom roles so our bookkeeper only sees the billing section.",
        "Is there a way to give our auditor a read-only login? If not, please consider adding it.",
        "Suggestion: show the client's outstanding balance right on the invoice.",
        "Please let our clients pay invoices by direct debit; card payments keep failing for them.",
        "We would happily stay if you had {feature}. Please consider it before our renewal.",
        "Could you add SSO with {idp}? Managing passwords for 30 people is painful.",
    ],
    "Cancellation": [
        "Please cancel our subscription at the end of this billing period.",
        "We are closing the business and need to cancel the account. Please confirm there will be no further charges.",
        "How do I cancel? I can't find the option anywhere in settings.",
        "I want to cancel my {plan} plan and get a refund for the unused months.",
        "We've decided to move to {competitor}. Please close our workspace and delete our data.",
        "Do not renew our contract. It renews on {date} and we want out.",
        "Cancel my trial before it converts to a paid plan please.",
        "Downgrading isn't enough for us, just shut the account down.",
        "stop billing me and cancel everything, this is the third time I'm asking!!",
        "We no longer need Ledgerly after the merger, please terminate the {plan} subscription.",
        "Please close my account. I was charged {amt} again even though I asked last month.",
        "The app has been broken for weeks, error {code} every day. We're done, please cancel.",
        "I can't log in to cancel, so please cancel the subscription for {email} on your side.",
    ],
}
# Side remarks from another class's vocabulary: the primary request decides the class.
ASIDES: dict[str, list[str]] = {
    "Billing": ["Also, my last invoice looked higher than usual.", "We're on the {plan} plan, if that matters.",
                "And please don't charge us again until this is sorted."],
    "TechnicalIssue": ["The page also throws an error now and then.", "Using {browser} on {platform}.",
                       "It was working fine last week."],
    "AccountAccess": ["I had to reset my password twice today as well.", "My colleague can't log in either.",
                      "I'm writing from my personal email because I can't sign in."],
    "FeatureRequest": ["It would also help if you had {feature}.",
                       "Long term it would be nice to have a better way to do this."],
    "Cancellation": ["If this isn't fixed soon we'll have to cancel.", "Honestly we're considering {competitor}.",
                     "We'll probably not renew if this drags on."],
}
ASIDE_PROBABILITY = 0.6
# Context any ticket may carry; shared vocabulary that does not decide the class.
FILLERS = [
    "We've been customers for {n} months.", "Our account email is {email}.", "This is urgent, month-end close is tomorrow.",
    "Screenshot attached.", "I already talked to the chat bot and it didn't help.", "Workspace: {company}.",
    "We're on the {plan} plan.", "Please get back to me today if possible.", "Not sure if this is the right place to ask.",
    "This started after your update on {date}.", "My colleague {name} reported the same thing.",
]
FILLER_PROBABILITY = 0.5


def ticket_values(r: random.Random) -> dict[str, str]:
    plan, plan2 = r.sample(PLANS, 2)
    name = r.choice(NAMES)
    return {
        "amt": r.choice(["$", "€", "£"]) + f"{r.choice([19, 29, 49, 79, 99, 149, 299, 588, 1188])}"
        + r.choice([".00", ""]),
        "amt2": f"${r.choice([15, 25, 39, 59])}",
        "plan": plan,
        "plan2": plan2,
        "num": str(r.randrange(10000, 99999)),
        "card": str(r.randrange(1000, 9999)),
        "company": r.choice(COMPANIES),
        "month": r.choice(MONTHS),
        "date": date(r, 2025, 2026, casual=True),
        "n": str(r.randint(8, 30)),
        "m": str(r.randint(2, 7)),
        "domain": r.choice(["fernwood.studio", "brightpath.co", "okafor-sons.com", "pixelhaus.de"]),
        "code": r.choice(["E-4012", "ERR_PDF_TIMEOUT", "0x80070005", "req_8f3a2c", "LGR-500-17", "E1009"]),
        "platform": r.choice(PLATFORMS),
        "browser": r.choice(BROWSERS),
        "email": f"{name.lower()}@{r.choice(['fernwood.studio', 'gmail.com', 'brightpath.co', 'outlook.com'])}",
        "idp": r.choice(IDPS),
        "feature": r.choice(FEATURES),
        "tool": r.choice(TOOLS),
        "competitor": r.choice(COMPETITORS),
        "name": name,
    }


def fill(template: str, values: dict[str, str]) -> str:
    return SLOT_RE.sub(lambda m: values[m.group(1)], template)


def make_tickets(seed: int = 7) -> list[tuple[str, str]]:
    r = random.Random(seed)
    labels = [c for c, n in CLASS_COUNTS.items() for _ in range(n)]
    r.shuffle(labels)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for label in labels:
        while True:
            v = ticket_values(r)
            body = fill(r.choice(BODIES[label]), v)
            if r.random() < ASIDE_PROBABILITY:
                other = r.choice([c for c in ASIDES if c != label])
                aside = fill(r.choice(ASIDES[other]), v)
                body = f"{aside} {body}" if r.random() < 0.4 else f"{body} {aside}"
            if r.random() < FILLER_PROBABILITY:
                filler = fill(r.choice(FILLERS), v)
                body = f"{filler} {body}" if r.random() < 0.5 else f"{body} {filler}"
            if r.random() < 0.15:
                body = body.lower()
            greeting = r.choice(GREETINGS)
            closing = fill(r.choice(CLOSINGS), v)
            text = "\n".join(p for p in (greeting, body, closing) if p)
            if text not in seen:
                break
        seen.add(text)
        out.append((text, label))
    return out


# --------------------------------------------------------------------------------------------------
# Writing the reference labels files.
# --------------------------------------------------------------------------------------------------


def doc_name(prefix: str, n: int) -> str:
    return f"{prefix}-{n + 1:04d}.txt"


def clear(directory: Path, prefix: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob(f"{prefix}-*.txt"):
        old.unlink()


def write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def write_ner(docs: list[Doc]) -> None:
    clear(NER_DIR, "loan")
    documents = []
    for n, doc in enumerate(docs):
        location = doc_name("loan", n)
        write_text(NER_DIR / location, doc.text)
        labels = [
            {"category": label, "offset": utf16_len(doc.text[:start]), "length": utf16_len(doc.text[start:end])}
            for start, end, label in sorted(doc.spans)
        ]
        documents.append({
            "location": location,
            "language": LANGUAGE,
            "dataset": "Train",
            "entities": [{"regionOffset": 0, "regionLength": utf16_len(doc.text), "labels": labels}],
        })
    write_json(NER_DIR / "labels.json", {
        "projectFileVersion": "2022-05-01",
        "stringIndexType": "Utf16CodeUnit",
        "metadata": {"projectKind": "CustomEntityRecognition", "projectName": "loan-agreements", "language": LANGUAGE,
                     "multilingual": False, "description": "Loan agreements, term sheets and emails about loans.",
                     "storageInputContainerName": "loan-agreements", "settings": {}},
        "assets": {
            "projectKind": "CustomEntityRecognition",
            "entities": [{"category": t} for t in NER_TYPES],
            "documents": documents,
        },
    })


def write_tickets(tickets: list[tuple[str, str]]) -> None:
    clear(CLS_DIR, "ticket")
    documents = []
    for n, (text, label) in enumerate(tickets):
        location = doc_name("ticket", n)
        write_text(CLS_DIR / location, text)
        documents.append({"location": location, "language": LANGUAGE, "dataset": "Train", "class": {"category": label}})
    write_json(CLS_DIR / "labels.json", {
        "projectFileVersion": "2022-05-01",
        "stringIndexType": "Utf16CodeUnit",
        "metadata": {"projectKind": "CustomSingleLabelClassification", "projectName": "support-tickets",
                     "language": LANGUAGE, "multilingual": False,
                     "description": "Customer support tickets of an invoicing web app.",
                     "storageInputContainerName": "support-tickets", "settings": {}},
        "assets": {
            "projectKind": "CustomSingleLabelClassification",
            "classes": [{"category": c} for c in CLASS_COUNTS],
            "documents": documents,
        },
    })


def main() -> int:
    docs = make_ner()
    write_ner(docs)
    tickets = make_tickets()
    write_tickets(tickets)
    counts: dict[str, int] = {t: 0 for t in NER_TYPES}
    for doc in docs:
        for _, _, label in doc.spans:
            counts[label] += 1
    print(f"{NER_DIR.relative_to(ROOT)}: {len(docs)} documents; " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for slip in NER_SLIPS:
        print(f"  deliberate slip: {slip}")
    print(f"{CLS_DIR.relative_to(ROOT)}: {len(tickets)} documents; "
          + ", ".join(f"{k} {v}" for k, v in CLASS_COUNTS.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
