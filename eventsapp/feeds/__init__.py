"""iCal subscription feeds built by workers."""
