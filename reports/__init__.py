"""socklab's report: result JSON in, figures, index.html and summary.md out."""
