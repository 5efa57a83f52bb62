"""foraldrastod's outside: HTTP service, command line and web page. Thin over `engine`."""
