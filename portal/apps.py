from django.apps import AppConfig


class PortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from catalog.models import Brand, News, ProductSheet

        from .home import forget_catalogue

        # The home page's catalogue blocks (portal.home) follow what staff change.
        for model in (News, Brand, ProductSheet):
            post_save.connect(
                forget_catalogue, sender=model, dispatch_uid=f"portal.home.{model.__name__}.saved"
            )
            post_delete.connect(
                forget_catalogue, sender=model, dispatch_uid=f"portal.home.{model.__name__}.deleted"
            )
