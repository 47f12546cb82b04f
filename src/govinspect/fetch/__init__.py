"""I/O at the edge: crawling, probes, browser rendering, politeness, robots, the SSRF guard, encodings."""
