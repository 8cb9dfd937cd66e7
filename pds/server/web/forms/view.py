"""What the page shows: controls with their values and the problems placed next to them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from rdflib import URIRef

from pds.server.web.forms.model import (
    CHECKBOX,
    CHOICE,
    EMPTY_GROUP_ROWS,
    EMPTY_ROWS,
    GROUP,
    Field,
    FormModel,
    FormValues,
    local_name,
)
from pds.server.web.forms.values import Built, first_value, input_names, row_indices

# -- what the page shows: controls with their values and problems --------------------------------


@dataclasses.dataclass(frozen=True)
class Problem:
    """A refused value: the whole sentence for the summary, the short text for its field."""

    message: str
    text: str
    target: str  # an input name, a nested row (`budget-0`), a field key, or "" for the document


@dataclasses.dataclass(frozen=True)
class Control:
    id: str
    name: str
    label: str
    field: Field
    value: str = ""
    checked: bool = False
    error: str = ""
    help_id: str = ""

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def described_by(self) -> str:
        return " ".join(i for i in (self.error and self.error_id, self.help_id) if i)


@dataclasses.dataclass(frozen=True)
class Row:
    id: str
    name: str
    legend: str
    ref: str
    controls: tuple[Control, ...]
    remove: Control | None
    error: str = ""


@dataclasses.dataclass(frozen=True)
class FieldView:
    field: Field
    id: str
    controls: tuple[Control, ...] = ()
    rows: tuple[Row, ...] = ()
    error: str = ""
    present: bool = False  # a yes/no the document holds: unticking it stores "no"

    @property
    def help_id(self) -> str:
        return f"{self.id}-help" if self.field.help else ""


@dataclasses.dataclass(frozen=True)
class FormView:
    model: FormModel
    etag: str
    fields: tuple[FieldView, ...]
    summary: tuple[tuple[str, str], ...] = ()  # (message, id of the element to jump to)
    notice: str = ""
    typed: tuple[tuple[str, str], ...] = ()  # what was typed, when it could not be saved


def place_violations(
    model: FormModel, built: Built, values: FormValues, violations: list[dict]
) -> list[Problem]:
    """Each SHACL violation, pointed at the input (or row, or field) it is about."""
    problems = []
    for violation in violations:
        message = str(violation.get("message") or "This value is not valid.")
        prefix = f"{violation.get('field')}: "
        text = message[len(prefix) :] if message.startswith(prefix) else message
        problems.append(Problem(message, text, _target(model, built, values, violation)))
    return problems


def _target(model: FormModel, built: Built, values: FormValues, violation: dict) -> str:
    path, focus, value = violation.get("path"), violation.get("focus"), violation.get("value")
    if focus in built.rows:
        key, row = built.rows[focus]
        group = next(f for f in model.fields if f.key == key)
        sub = next((s for s in group.subfields if str(s.predicate) == path), None)
        return f"{key}-{row}-{sub.key}" if sub else f"{key}-{row}"
    field = next((f for f in model.fields if str(f.predicate) == path), None)
    if focus != str(built.node) or field is None:
        return ""
    if field.kind == GROUP:
        where = built.rows.get(value or "")
        return f"{field.key}-{where[1]}" if where else field.key
    if field.repeating and field.kind != CHOICE:
        names = [n for n in input_names(field, values) if value and first_value(values, n) == value]
        return names[0] if names else field.key
    return field.key


def form_view(
    model: FormModel,
    values: FormValues,
    etag: str,
    problems: Sequence[Problem] = (),
    **extra,
) -> FormView:
    """The form as the page shows it: stored or posted values, plus blank rows to add more."""
    builder = _ViewBuilder(model, values, problems)
    fields = tuple(builder.field(f) for f in model.fields)
    builder.take("", f"{model.key}-title")
    for target in list(builder.errors):  # problems about inputs the form no longer shows
        builder.take(target, f"{model.key}-title")
    return FormView(model, etag, fields, tuple(builder.summary), **extra)


class _ViewBuilder:
    def __init__(self, model: FormModel, values: FormValues, problems: Sequence[Problem]):
        self.model, self.values = model, values
        self.errors: dict[str, list[Problem]] = {}
        for problem in problems:
            self.errors.setdefault(problem.target, []).append(problem)
        self.summary: list[tuple[str, str]] = []

    def take(self, target: str, anchor: str, listed: bool = True) -> str:
        found = self.errors.pop(target, [])
        if listed:
            self.summary.extend((p.message, anchor) for p in found)
        return " ".join(p.text for p in found)

    def control(self, field: Field, name: str, label: str, help_id: str, **kw) -> Control:
        element_id = f"{self.model.key}-{name}"
        return Control(
            element_id,
            name,
            label,
            field,
            value=first_value(self.values, name),
            error=self.take(name, element_id),
            help_id=help_id,
            **kw,
        )

    def field(self, field: Field) -> FieldView:
        view = FieldView(field, f"{self.model.key}-{field.key}")
        if field.kind == GROUP:
            rows = tuple(self.rows(field, view.help_id))
            anchor = rows[0].controls[0].id if rows and rows[0].controls else view.id
            precise = any(r.error or any(c.error for c in r.controls) for r in rows)
            error = self.take(field.key, anchor, listed=not precise)
            return dataclasses.replace(view, rows=rows, error=error)
        if field.kind == CHOICE:
            chosen = set(self.values.get(field.key, ()))
            controls = tuple(
                Control(
                    f"{view.id}-{local_name(URIRef(c.value))}",
                    field.key,
                    c.label,
                    field,
                    value=c.value,
                    checked=c.value in chosen,
                    help_id=view.help_id,
                )
                for c in field.choices
            )
            anchor = controls[0].id if controls else view.id
            return dataclasses.replace(view, controls=controls, error=self.take(field.key, anchor))
        if field.kind == CHECKBOX:
            checked = "true" in self.values.get(field.key, ())
            control = self.control(field, field.key, field.label, view.help_id, checked=checked)
            present = bool(first_value(self.values, f"{field.key}-present"))
            return dataclasses.replace(view, controls=(control,), present=present)
        if not field.repeating:
            control = self.control(field, field.key, field.label, view.help_id)
            return dataclasses.replace(view, controls=(control,))
        names = [n for n in input_names(field, self.values) if first_value(self.values, n)]
        last = max((int(n.rsplit("-", 1)[1]) for n in names), default=-1)
        names += [f"{field.key}-{last + 1 + i}" for i in range(EMPTY_ROWS)]
        controls = tuple(
            self.control(field, name, f"{field.label} {n}", view.help_id)
            for n, name in enumerate(names, start=1)
        )
        anchor = controls[0].id
        return dataclasses.replace(view, controls=controls, error=self.take(field.key, anchor))

    def rows(self, field: Field, help_id: str):
        used = [
            i
            for i in row_indices(field, self.values)
            if any(first_value(self.values, f"{field.key}-{i}-{s.key}") for s in field.subfields)
            or first_value(self.values, f"{field.key}-{i}-ref")
        ]
        fresh = [max(used, default=-1) + 1 + i for i in range(EMPTY_GROUP_ROWS)]
        noun = field.row_label[:1].lower() + field.row_label[1:]
        for number, row in enumerate(used + fresh, start=1):
            prefix = f"{field.key}-{row}"
            controls = tuple(
                self.control(
                    sub,
                    f"{prefix}-{sub.key}",
                    sub.label,
                    f"{self.model.key}-{prefix}-{sub.key}-help" if sub.help else "",
                )
                for sub in field.subfields
            )
            ref = first_value(self.values, f"{prefix}-ref")
            if row in used:
                legend = f"{field.row_label} {number}"
            else:
                legend = f"Add {'another' if used else _article(noun)} {noun}"
            remove = None
            if ref:
                remove = self.control(
                    field,
                    f"{prefix}-remove",
                    f"Remove this {noun}",
                    "",
                    checked=bool(first_value(self.values, f"{prefix}-remove")),
                )
            anchor = controls[0].id if controls else f"{self.model.key}-{prefix}"
            # "One of your budgets has a mistake" adds nothing to the summary when the precise
            # problem is listed already; it still heads the row.
            error = self.take(prefix, anchor, listed=not any(c.error for c in controls))
            yield Row(f"{self.model.key}-{prefix}", prefix, legend, ref, controls, remove, error)


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


def typed_entries(model: FormModel, values: FormValues) -> list[tuple[str, str]]:
    """What the customer typed, in words, to show when the form could not be saved."""
    out = []
    for field in model.fields:
        if field.kind == GROUP:
            for row in row_indices(field, values):
                parts = [
                    f"{s.label}: {text}"
                    for s in field.subfields
                    if (text := first_value(values, f"{field.key}-{row}-{s.key}"))
                ]
                if parts and not values.get(f"{field.key}-{row}-remove"):
                    out.append((field.row_label, "; ".join(parts)))
        elif field.kind == CHOICE:
            chosen = set(values.get(field.key, ()))
            labels = [c.label for c in field.choices if c.value in chosen]
            out.append((field.label, ", ".join(labels) or "none"))
        elif field.kind == CHECKBOX:
            out.append((field.label, "yes" if "true" in values.get(field.key, ()) else "no"))
        else:
            out.extend(
                (field.label, text)
                for name in input_names(field, values)
                if (text := first_value(values, name))
            )
    return out
