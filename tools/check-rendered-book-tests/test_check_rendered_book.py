"""Every check in tools/check-rendered-book, proven on a broken book.

    python3 -m unittest discover -s tools/check-rendered-book-tests

Each test writes a three-page book laid out as mdBook lays one out (a
sidebar in `<nav id="mdbook-sidebar">` on every page), gives it exactly
one defect, and runs the check on it with `--book`: the check must fail
and say why, and the book without a defect must pass. Needs what the check
needs: chromium, and stage 07's release build (WORKBOOK_BIN_DIR, or cargo
builds it).
"""

import subprocess
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "check-rendered-book"

SIDEBAR = '<nav id="mdbook-sidebar"><a href="index.html">Start</a> {links}</nav>'
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>\n'


def page(title, body, links='<a href="a.html">A</a> <a href="b.html#top">B</a>'):
    # An icon of its own, as mdBook gives every page: without one, the
    # browser asks for /favicon.ico.
    return (f'<!DOCTYPE html><html><head><title>{title}</title>'
            f'<link rel="icon" href="pic.svg"></head><body>'

            f"{SIDEBAR.format(links=links)}<main>{body}</main></body></html>\n")


def book(**changes):
    """A good book's files, by name, with `changes` made to them."""
    files = {
        "index.html": page("Start", '<h1 id="start">Start</h1>'),
        "a.html": page("A", '<h1 id="a">A</h1><p><img src="pic.svg" alt="a picture"></p>'),
        "b.html": page("B", '<h1 id="top">B</h1><p>See <a href="a.html#a">A</a>.</p>'),
        "pic.svg": SVG,
    }
    files.update(changes)
    return files


class CheckRenderedBook(unittest.TestCase):
    def check(self, files, *args):
        with tempfile.TemporaryDirectory(prefix="rendered-book-test-") as folder:
            for name, text in files.items():
                if text is not None:
                    (Path(folder) / name).write_text(text)
            out = subprocess.run([str(SCRIPT), "--book", folder, *args],
                                 capture_output=True, text=True, timeout=600)
        return out.returncode, out.stdout + out.stderr

    def assert_fails(self, files, why):
        status, output = self.check(files)
        self.assertEqual(status, 1, output)
        self.assertIn(why, output)

    def test_a_good_book_passes(self):
        status, output = self.check(book())
        self.assertEqual(status, 0, output)
        self.assertIn("3 pages, every request answered 200", output)

    def test_a_missing_page(self):
        self.assert_fails(book(**{"b.html": None}), "GET /b.html was answered 404")

    def test_a_broken_image(self):
        self.assert_fails(book(**{"pic.svg": None}), "GET /pic.svg was answered 404")

    def test_an_image_from_elsewhere(self):
        broken = page("A", '<h1 id="a">A</h1><img src="http://192.0.2.1/x.png" alt="">')
        self.assert_fails(book(**{"a.html": broken}), "is not served by the book")

    def test_an_unexpanded_include(self):
        broken = page("B", '<h1 id="top">B</h1><pre>{{#include ../src/main.rs:start}}</pre>')
        self.assert_fails(book(**{"b.html": broken}), "was not expanded")

    def test_a_link_to_a_missing_heading(self):
        broken = page("B", '<h1 id="top">B</h1><p><a href="a.html#nowhere">A</a></p>')
        self.assert_fails(book(**{"b.html": broken}), "no element with the id 'nowhere'")

    def test_a_link_to_a_missing_file(self):
        broken = page("B", '<h1 id="top">B</h1><p><a href="gone.txt">gone</a></p>')
        self.assert_fails(book(**{"b.html": broken}), "no such page or file in the book")

    def test_screenshots_are_taken(self):
        with tempfile.TemporaryDirectory(prefix="rendered-book-shots-") as out:
            status, output = self.check(book(), "--screenshot", "a.html", "--out", out)
            self.assertEqual(status, 0, output)
            self.assertGreater((Path(out) / "a.png").stat().st_size, 0)


if __name__ == "__main__":
    unittest.main()
