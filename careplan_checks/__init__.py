"""careplan-checks: checks looked-after children's care plans in England against NICE/SCIE guidance."""

__version__ = "0.1.0"
