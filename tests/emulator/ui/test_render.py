"""How history items are turned into safe HTML: text, @mentions, links and cards."""

from __future__ import annotations

from addon.emulator.ui.render import card_view, text_html

NAMES = frozenset({"ada", "bob"})


def test_text_is_escaped_and_line_breaks_kept() -> None:
    out = text_html('<img src=x onerror="alert(1)"> & "q"\nnext', NAMES)
    assert str(out) == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &quot;q&quot;<br>next"


def test_only_known_mentions_and_all_here_are_highlighted() -> None:
    out = str(text_html("@ada @Bob @zed mail@ada.com @all @here", NAMES))
    assert out.count('class="mention"') == 4
    assert '<span class="mention">@Bob</span>' in out
    assert "@zed" in out
    assert "mail@ada.com" in out


def test_http_links_are_made_clickable_without_trailing_punctuation() -> None:
    out = str(text_html("see https://example.com/a?b=1&c=2). javascript:alert(1)"))
    assert '<a href="https://example.com/a?b=1&amp;c=2"' in out
    assert "</a>). javascript:alert(1)" in out
    assert out.count("<a ") == 1


def test_a_link_cannot_carry_markup_into_the_attribute() -> None:
    out = str(text_html('http://x.io/"onmouseover=alert(1)'))
    assert 'href="http://x.io/"' in out
    assert "onmouseover" in out  # as text after the link, never as an attribute
    assert '" onmouseover' not in out


def test_card_parts_are_checked() -> None:
    card = card_view(
        {
            "style": "link",
            "id": "1",
            "title": "<i>title</i>",
            "url": "javascript:alert(1)",
            "format": "huge",
            "description": "plain <b>text</b> @ada",
            "icon": {"url": "data:image/png;base64,AAAA"},
            "thumbnail": {"url": "https://e/t.png"},
            "activity": {"html": "<b>CI</b><img src=x><script>x</script>"},
            "attributes": [
                "junk",
                {"label": "L", "value": "not an object"},
                {"label": "Env", "value": {"label": "prod", "url": "https://e", "style": "x"}},
            ],
        }
    )
    assert (card.style, card.title, card.url, card.format) == (
        "link",
        "<i>title</i>",
        None,
        "medium",
    )
    assert str(card.description) == "plain &lt;b&gt;text&lt;/b&gt; @ada"
    assert card.icon is None
    assert card.thumbnail == "https://e/t.png"
    assert str(card.activity) == "<b>CI</b>"
    assert card.attributes == [
        {"label": "Env", "value": "prod", "url": "https://e", "icon": None, "lozenge": None}
    ]


def test_html_card_descriptions_allow_card_tags_only() -> None:
    card = card_view(
        {"description": {"value": "<b>ok</b><table><tr><td>t</td></tr></table>", "format": "html"}}
    )
    assert str(card.description) == "<b>ok</b>t"
