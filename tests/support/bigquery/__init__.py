"""The BigQuery emulator the tests start (:mod:`.emulator`), the data it is seeded with
(:mod:`.seed`), and the table under row access policies of the identity tests (:mod:`.secure`)."""
