from django.apps import AppConfig


class HotelConfig(AppConfig):
    name = "hotel"

    def ready(self) -> None:
        from hotel import holdings

        # Guests, stays, consent history, and the engine's tables that name guests
        # (hotel.personal_data: what exports, erasures and the retention purge walk).
        holdings.register_holdings()
