"""The link on a CDS Hooks card opens the staff page pre-filled from the URL fragment."""
from __future__ import annotations


def test_fragment_prefills_the_form_and_is_removed(page):
    page.goto("/#kommun=1884&ar=8&man=3&behov=overvikt_fetma")
    page.wait_for_function("() => document.getElementById('kommun').value === '1884'")
    assert page.input_value("#alder-ar") == "8"
    assert page.input_value("#alder-man") == "3"
    assert page.is_checked("#behov-overvikt_fetma")
    assert page.evaluate("() => window.location.hash") == ""  # not left in the address bar or history
    assert "ifyllda från journalsystemet" in page.inner_text("#ifyllt-fran-journal")
    page.click("#skicka")
    page.wait_for_selector(".niva-selektiv .insats-namn")  # the ticked need gives selective support


def test_bad_fragment_values_are_ignored(page):
    page.goto("/#kommun=9999&ar=400&man=x&behov=<script>")
    page.wait_for_load_state("load")
    assert page.input_value("#kommun") == ""
    assert page.input_value("#alder-ar") == ""
    assert page.evaluate("() => window.location.hash") == ""
    assert page.query_selector("#ifyllt-fran-journal") is None


def test_expecting_from_fragment(page):
    page.goto("/#kommun=1880&vantar=1")
    page.wait_for_function("() => document.getElementById('vantar').checked")
    assert page.input_value("#kommun") == "1880"


def test_prefilled_page_has_no_axe_violations(page):
    from browser_support import run_axe

    page.goto("/#kommun=1884&ar=8&man=3")
    page.wait_for_selector("#ifyllt-fran-journal")
    assert run_axe(page) == []
