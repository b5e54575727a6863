"""The demo country: fictitious but realistic organisations, people and records so that a
fresh ``make run`` shows the product as its users will see it (DOMAIN.md §7)."""
