"""darwin-run: runs macOS arm64 executables on Linux (see README.md)."""
