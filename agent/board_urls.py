"""The boards' URLs (agent.board_views); innbox/urls.py includes them."""

from django.urls import path

from agent import board_views

urlpatterns = [
    path("orders/", board_views.orders, name="orders"),
    path("orders/board/", board_views.orders_board, name="orders_board"),
    path("orders/<uuid:public_id>/move/", board_views.move_order, name="move_order"),
    path("requests/", board_views.requests, name="requests"),
    path("requests/board/", board_views.requests_board, name="requests_board"),
    path("requests/<uuid:public_id>/move/", board_views.move_request, name="move_request"),
    path("settings/guest-updates/", board_views.guest_updates, name="guest_updates"),
]
