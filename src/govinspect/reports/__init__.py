"""The circular (通报): figures computed and self-checked once, rendered as DOCX, XLSX and HTML."""
