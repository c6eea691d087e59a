"""Allow ``python -m belvedere``."""

from belvedere.cli.main import main

if __name__ == "__main__":
    main()
