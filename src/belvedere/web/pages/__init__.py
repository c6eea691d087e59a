"""Server-rendered page shells; the browser code in ``frontend/`` fills them in."""
