"""Writes of the assistant, one module per topic: ``faqs`` (FAQs, CSV, synonyms), ``gaps`` (the gap
list and feedback) and ``inquiries``. Callers import from the topic module; reads are in
``idx.assist.selectors`` and the messages to residents in ``idx.assist.messages``."""
