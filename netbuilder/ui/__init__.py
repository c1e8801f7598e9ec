"""The Qt shell: main window, canvas, palette, inspector, training dock."""
