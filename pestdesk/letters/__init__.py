"""The letter engine: templates with merge fields, rendered to PDF. No Qt, no database.

Public API (see the modules for details)::

    render_letter(template, merge_data, recipient, letterhead, *, lang="nl",
                  letter_date, window=WindowSettings()) -> bytes      # one PDF, deterministic
    render_batch(jobs: Iterable[LetterJob], progress=None) -> list[bytes]
    render_test_print(settings=WindowSettings(), letterhead=None) -> bytes
    preflight(template, merge_data, recipient, letterhead, *, lang, letter_date, window)
        -> list[str]                                                   # warnings before print
    load_template(code, lang="nl", *, search_dirs=()) -> Template
    shipped_templates() -> list[Template]
    Template.from_text(text) -> Template;  Template.to_text() -> str
    validate_template(text_or_template) -> list[TemplateProblem]     # call at save time
    validate_address(recipient) -> list[AddressProblem];  address_lines(recipient)
    MERGE_FIELDS: dict[str, str]                                      # name -> description

Modules: :mod:`.templates` (file format, validation, loading), :mod:`.engine` (placeholder
language), :mod:`.fields` (merge-field registry, value formatting), :mod:`.address` (PostNL
address block), :mod:`.layout` (page, letterhead, window), :mod:`.render` (putting it together).
"""

from .address import (
    AddressProblem,
    Recipient,
    address_lines,
    normalise_postcode,
    validate_address,
)
from .fields import FILTERS, LIST_FIELDS, MERGE_FIELDS, sample_merge_data
from .layout import AddressDoesNotFit, Letterhead, WindowSettings
from .render import (
    LetterJob,
    merge_context,
    preflight,
    printed_text,
    render_batch,
    render_letter,
    render_test_print,
)
from .templates import (
    LetterText,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateProblem,
    load_template,
    shipped_templates,
    validate_template,
)

__all__ = [
    "FILTERS",
    "LIST_FIELDS",
    "MERGE_FIELDS",
    "AddressDoesNotFit",
    "AddressProblem",
    "LetterJob",
    "LetterText",
    "Letterhead",
    "Recipient",
    "Template",
    "TemplateError",
    "TemplateNotFound",
    "TemplateProblem",
    "WindowSettings",
    "address_lines",
    "load_template",
    "merge_context",
    "normalise_postcode",
    "preflight",
    "printed_text",
    "render_batch",
    "render_letter",
    "render_test_print",
    "sample_merge_data",
    "shipped_templates",
    "validate_address",
    "validate_template",
]
