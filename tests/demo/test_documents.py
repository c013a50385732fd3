import pytest

from demo.documents import FrontMatterError, parse_document


def _write(tmp_path, text):
    path = tmp_path / "doc.md"
    path.write_text(text)
    return path


def test_front_matter_is_parsed(tmp_path):
    doc = parse_document(
        _write(
            tmp_path,
            "---\ntitle: SSO\nkind: policy\naudience: plans\nplans: enterprise\n"
            "products: books, api\nvalid_until: 2026-12-31\n---\n# SSO\n\nBody.",
        )
    )
    assert (doc.slug, doc.title, doc.kind, doc.audience) == ("doc", "SSO", "policy", "plans")
    assert doc.plans == ("enterprise",)
    assert doc.products == ("books", "api")
    assert doc.valid_until.isoformat() == "2026-12-31"
    assert doc.body == "# SSO\n\nBody."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# No front matter", "no front-matter block"),
        ("---\ntitle: X\nkind: memo\naudience: public\n---\nbody", "unknown kind"),
        ("---\ntitle: X\nkind: faq\naudience: everyone\n---\nbody", "unknown audience"),
        ("---\nkind: faq\naudience: public\n---\nbody", "lacks 'title'"),
        ("---\ntitle: X\nkind: faq\naudience: public\nvalid_from: soon\n---\nbody", "not an ISO date"),
        ("---\ntitle X\n---\nbody", "without a colon"),
    ],
)
def test_bad_front_matter_names_the_file_and_the_problem(tmp_path, text, message):
    with pytest.raises(FrontMatterError, match=message) as error:
        parse_document(_write(tmp_path, text))
    assert str(error.value).startswith("doc.md:")
