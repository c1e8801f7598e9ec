"""The GUI of issue 15's search: "vary" toggles, the canvas's marks, the Search panel."""
