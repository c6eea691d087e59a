"""What the tests start or fake, one package each: ``servers/`` (the loop-thread server base, an
app over HTTP, PostgreSQL), ``faults/`` (fault proxies), ``bigquery/`` (the emulator and its
data), ``google/`` (Google's stand-in), ``identity/`` (identity proxies, the OIDC provider),
``web/`` (the app-client factory), ``fixtures/`` (shared fixtures as pytest plugins)."""
