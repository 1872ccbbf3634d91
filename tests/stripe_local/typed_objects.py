"""Checks a JSON object the stand-in sent against the typed class of the installed `stripe` package.

stripe-python 16 is generated from Stripe's OpenAPI spec for the API version the stand-in claims, so
its classes are the contract: every key we send must be a field of the class, every value must have
the declared type (an enum field's `Union[Literal[...], str]` is read strictly as the literals, since
the `str` only exists so old clients survive new values), and every field the class does not declare
`Optional` must be present. Nested objects are checked the same way, recursively.
"""

from __future__ import annotations

import inspect
import sys
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

import stripe
from stripe._stripe_object import StripeObject, UntypedStripeObject

#: `object` values of the top-level objects the stand-in returns, and their classes.
CLASSES: dict[str, type[StripeObject]] = {
    "checkout.session": stripe.checkout.Session,
    "payment_intent": stripe.PaymentIntent,
    "charge": stripe.Charge,
    "refund": stripe.Refund,
    "dispute": stripe.Dispute,
    "event": stripe.Event,
    "item": stripe.LineItem,
    "customer": stripe.Customer,
    "subscription": stripe.Subscription,
    "subscription_item": stripe.SubscriptionItem,
    "invoice": stripe.Invoice,
    "line_item": stripe.InvoiceLineItem,
    "invoice_payment": stripe.InvoicePayment,
    "price": stripe.Price,
    "payment_method": stripe.PaymentMethod,
    "test_helpers.test_clock": stripe.test_helpers.TestClock,
    "billing_portal.session": stripe.billing_portal.Session,
}


def _namespace() -> dict[str, Any]:
    """Every class the typed classes name: stripe-python imports its modules lazily (`_import_map`),
    so `dir(stripe)` alone misses the ones nothing has touched yet (e.g. `Plan`)."""
    names: dict[str, Any] = {}
    for module in (stripe, stripe.checkout, stripe.billing_portal, stripe.test_helpers):
        lazy = list(getattr(module, "_import_map", {}))
        for name in [*dir(module), *lazy]:
            try:
                value = getattr(module, name)
            except (AttributeError, ImportError):
                continue
            if isinstance(value, type):
                names[name] = value
    return names


_NS = _namespace()


def fields(cls: type) -> dict[str, Any]:
    """The annotated fields of a typed class (forward references resolved), inherited ones included."""
    found: dict[str, Any] = {}
    module = sys.modules[cls.__module__]
    for klass in reversed(cls.__mro__):
        scope = {**vars(sys.modules[klass.__module__]), **_NS}
        owner: Any = sys.modules[klass.__module__]
        for part in klass.__qualname__.split("."):  # nested classes are visible by their short names
            owner = getattr(owner, part, None)
            if owner is None:
                break
            scope.update({k: v for k, v in vars(owner).items() if isinstance(v, type)})
        for name, annotation in inspect.get_annotations(klass).items():
            if name.startswith("_") or name.isupper():
                continue
            found[name] = eval(annotation, scope) if isinstance(annotation, str) else annotation  # noqa: S307
    del module
    return found


def _nullable(annotation: Any) -> bool:
    return type(None) in get_args(annotation)


def check_value(value: Any, annotation: Any, path: str, errors: list[str]) -> None:
    origin = get_origin(annotation)
    if annotation is Any or origin is typing.ClassVar:
        return
    if isinstance(annotation, typing.ForwardRef):
        annotation = _NS.get(annotation.__forward_arg__, Any)
        check_value(value, annotation, path, errors)
        return
    if origin is Union or origin is types.UnionType:
        args = get_args(annotation)
        if value is None:
            if type(None) not in args:
                errors.append(f"{path}: null, but the field is not nullable")
            return
        literals = {v for a in args if get_origin(a) is Literal for v in get_args(a)}
        if literals:
            if value not in literals:
                errors.append(f"{path}: {value!r} is not one of {sorted(map(str, literals))}")
            return
        real = [a for a in args if a is not type(None)]
        if len(real) == 1:
            check_value(value, real[0], path, errors)
            return
        for candidate in real:  # e.g. ExpandableField: an id or the expanded object
            attempt: list[str] = []
            check_value(value, candidate, path, attempt)
            if not attempt:
                return
        errors.append(f"{path}: {str(value)[:60]} matches none of {real}")
        return
    if origin is Literal:
        if value not in get_args(annotation):
            errors.append(f"{path}: {value!r} is not one of {get_args(annotation)}")
        return
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            errors.append(f"{path}: not a list")
            return
        inner = (get_args(annotation) or (Any,))[0]
        for index, element in enumerate(value):
            check_value(element, inner, f"{path}[{index}]", errors)
        return
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            errors.append(f"{path}: not an object")
        return
    simple = {str: str, int: int, bool: bool, float: (int, float)}
    if annotation in simple:
        wrong_bool = annotation is int and isinstance(value, bool)
        if wrong_bool or not isinstance(value, simple[annotation]):
            errors.append(f"{path}: {str(value)[:40]!r} is not {annotation.__name__}")
        return
    if isinstance(annotation, type) and issubclass(annotation, StripeObject):
        if not isinstance(value, dict):
            errors.append(f"{path}: {str(value)[:40]!r} is not an object")
            return
        if fields(annotation):
            check_object(value, annotation, path, errors)
        return
    if origin is UntypedStripeObject:  # a free-form map such as metadata
        if not isinstance(value, dict):
            errors.append(f"{path}: not an object")
        return
    if origin is not None and isinstance(origin, type) and issubclass(origin, StripeObject):  # ListObject[T]
        if not isinstance(value, dict) or value.get("object") != "list":
            errors.append(f"{path}: not a list object")
            return
        (inner,) = get_args(annotation)
        for index, element in enumerate(value.get("data", [])):
            check_value(element, inner, f"{path}.data[{index}]", errors)


def check_object(obj: dict[str, Any], cls: type, path: str, errors: list[str] | None = None) -> list[str]:
    """Every problem of `obj` as an instance of `cls`, one line each (empty: it conforms)."""
    found = [] if errors is None else errors
    declared = fields(cls)
    for name in obj:
        if name not in declared:
            found.append(f"{path}.{name}: not a field of {cls.__qualname__}")
    for name, annotation in declared.items():
        if name not in obj:
            if not _nullable(annotation):
                found.append(f"{path}.{name}: missing (required and not nullable)")
            continue
        check_value(obj[name], annotation, f"{path}.{name}", found)
    return found


def problems(obj: dict[str, Any]) -> list[str]:
    """`check_object` for a top-level object by its `object` field; an event's `data.object` too."""
    kind = str(obj.get("object"))
    cls = CLASSES.get(kind)
    if cls is None:
        return [f"{kind}: no typed class known for this object"]
    found = check_object(obj, cls, kind)
    if kind == "event":
        inner = obj["data"]["object"]
        found += [f"event {obj['type']}: {p}" for p in problems(inner)]
    return found


def _object_class(annotation: Any) -> type | None:
    """The StripeObject class an annotation names (through Optional / ExpandableField), if it names one."""
    if isinstance(annotation, typing.ForwardRef):
        annotation = _NS.get(annotation.__forward_arg__)
    if isinstance(annotation, type) and issubclass(annotation, StripeObject) and fields(annotation):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        found = [c for c in map(_object_class, get_args(annotation)) if c is not None]
        return found[0] if len(found) == 1 else None
    return None


def absent(
    obj: dict[str, Any],
    cls: type,
    path: str,
    omitted: frozenset[str] = frozenset(),
    sparse: frozenset[str] = frozenset(),
) -> list[str]:
    """Every field of `cls` (and of its nested objects, recursively) that `obj` does not send at all.

    Stripe sends every field of an object, null when it does not apply, except the includable ones
    (`line_items`, `total_details.breakdown`: sent only when expanded) named in `omitted`, and the
    per-kind maps named in `sparse` (`payment_method_options` holds only the configured methods);
    `check_object` lets a nullable field be left out, this does not, so code reading any field of the
    typed class finds it.
    """
    found: list[str] = []
    if path in sparse:
        return found
    for name, annotation in fields(cls).items():
        where = f"{path}.{name}"
        if name not in obj:
            if where not in omitted:
                found.append(f"{where}: absent")
            continue
        value, inner = obj[name], _object_class(annotation)
        if inner is not None and isinstance(value, dict):
            found += absent(value, inner, where, omitted, sparse)
        elif get_origin(annotation) in (list, typing.List) or (  # noqa: UP006
            get_origin(annotation) in (Union, types.UnionType)
            and any(get_origin(a) in (list, typing.List) for a in get_args(annotation))  # noqa: UP006
        ):
            lists = [a for a in (annotation, *get_args(annotation)) if get_origin(a) in (list, typing.List)]  # noqa: UP006
            element = _object_class(get_args(lists[0])[0]) if lists and get_args(lists[0]) else None
            for index, item in enumerate(value if isinstance(value, list) else []):
                if element is not None and isinstance(item, dict):
                    found += absent(item, element, f"{where}[{index}]", omitted, sparse)
    return found
