"""Validating a located YAML tree with a schema model, reporting each error at its file line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, RootModel, ValidationError
from pydantic_core import ErrorDetails

from reminderbot.content.schema import CUSTOM_ERROR, Says, Schema, did_you_mean, shown
from reminderbot.content.yaml_loading import Located, describe_value

Model = TypeVar("Model", bound=BaseModel)
Loc = tuple[str | int, ...]

# Errors of a value outside its limits, as opposed to a value of the wrong kind.
_BOUNDS = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "too_short",
        "too_long",
        "string_pattern_mismatch",
    }
)


# Field names are short, so a looser match would offer `tiers` for `notes`.
_FIELD_GUESS = 0.75


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One schema error: the line it is on, where in the tree, and what is wrong."""

    line: int | None
    loc: Loc
    message: str


def plain(node: Located | None) -> Any:
    """Return the value of a located tree without its line numbers, as pydantic reads it."""
    if node is None:
        return None
    value = node.value
    if isinstance(value, dict):
        return {key: plain(child) for key, child in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def validate_located(model: type[Model], node: Located) -> tuple[Model | None, list[SchemaIssue]]:
    """Validate `node` against `model`; return the instance, or None and every issue found."""
    try:
        return model.model_validate(plain(node)), []
    except ValidationError as exc:
        return None, [_issue(model, node, error) for error in exc.errors()]


def _issue(model: type[BaseModel], root: Located, error: ErrorDetails) -> SchemaIssue:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == CUSTOM_ERROR:
        loc = (*loc, *ctx.get("at", ()))
        return SchemaIssue(_line(root, loc), loc, str(ctx["message"]))
    owner, says, target = _walk(model, loc)
    name = next((str(part) for part in reversed(loc) if isinstance(part, str)), "value")
    if kind == "missing":
        template = says.missing if says is not None and says.missing else owner.missing_template
        message = template.format(name=name, what=owner.what, fields=owner.field_list())
        return SchemaIssue(_line(root, loc[:-1]), loc, message)
    if kind == "extra_forbidden":
        fields = list(owner.model_fields)
        message = owner.unknown_template.format(
            name=name,
            what=owner.what,
            fields=", ".join(fields),
            dym=did_you_mean(name, fields, _FIELD_GUESS),
        )
        return SchemaIssue(_line(root, loc), loc, message)
    value = error["input"]
    if says is not None:
        template = says.bounds if kind in _BOUNDS and says.bounds else says.wrong
        siblings = plain(_node(root, loc[:-1]))
        parent = _Siblings(siblings if isinstance(siblings, dict) else {})
        message = template.format(
            name=name, raw=repr(value), got=shown(value), value=value, parent=parent
        )
    elif isinstance(target, type) and issubclass(target, Schema):
        message = target.not_mapping_template.format(
            what=target.what, fields=target.field_list(), got=describe_value(value)
        )
    else:  # pragma: no cover - every field a reviewer writes has its own Says
        message = f"{name}: {error['msg']}"
    return SchemaIssue(_line(root, loc), loc, message)


class _Siblings(dict[str, Any]):
    # A template may name a sibling ({parent[id]!r}) that is itself missing.
    def __missing__(self, key: str) -> None:
        return None


def _walk(model: type[BaseModel], loc: Loc) -> tuple[type[Schema], Says | None, Any]:
    """Follow `loc` through the model's annotations: the innermost Schema, the Says, the type."""
    owner: type[Schema] = Schema
    annotation, says = _unwrap(model, None)
    for part in loc:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            owner = annotation if issubclass(annotation, Schema) else owner
            if part not in annotation.model_fields:
                return owner, None, None  # an unknown field
            info = annotation.model_fields[str(part)]
            annotation, says = _unwrap(info.annotation, _says(info.metadata))
            continue
        # An item of a list (tuple[X, ...]) or a value of a mapping (dict[str, X]).
        annotation, says = _unwrap(get_args(annotation)[-1 if isinstance(part, str) else 0], None)
    if isinstance(annotation, type) and issubclass(annotation, Schema):
        owner = annotation
    return owner, says, annotation


def _unwrap(annotation: Any, says: Says | None) -> tuple[Any, Says | None]:
    # Annotated[X, Says(...)] carries the texts; a RootModel is the type of its root.
    while True:
        if get_origin(annotation) is Annotated:
            says = _says(annotation.__metadata__) or says
            annotation = get_args(annotation)[0]
        elif isinstance(annotation, type) and issubclass(annotation, RootModel):
            info = annotation.model_fields["root"]
            annotation, says = info.annotation, _says(info.metadata) or says
        else:
            return annotation, says


def _says(metadata: Any) -> Says | None:
    return next((item for item in metadata if isinstance(item, Says)), None)


def _node(root: Located, loc: Loc) -> Located | None:
    node: Located | None = root
    for part in loc:
        value = node.value if node is not None else None
        if isinstance(part, int) and isinstance(value, list) and 0 <= part < len(value):
            node = value[part]
        elif isinstance(part, str) and isinstance(value, dict):
            node = value.get(part)
        else:
            return None
    return node


def _line(root: Located, loc: Loc) -> int | None:
    # The deepest node that exists: a missing field is reported on its parent's line.
    for end in range(len(loc), -1, -1):
        node = _node(root, loc[:end])
        if node is not None:
            return node.line
    return None  # pragma: no cover - the root itself always exists
