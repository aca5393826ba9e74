"""Card payments through a payment provider (ORD-9): the interface, the provider chosen by settings
(`providers.get_provider`), the service booking a provider's verdict, and the offline test provider."""
