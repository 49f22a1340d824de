import sys

if __name__ == "__main__":
    # A repeated no-op `plan` answers from its cached verdict before click and pydantic are imported.
    from nerspec.fingerprints.verdict import answer

    if not answer(sys.argv[1:]):
        from nerspec.cli import main

        main()
