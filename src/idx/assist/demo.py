"""Demo FAQs."""

from idx.common.models import Municipality


def load_faqs(municipality: Municipality) -> None:
    return None
