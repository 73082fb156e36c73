"""Operations shared by the CLI and the HTTP API: each takes `Services` and plain arguments."""
