from django.urls import path

from conversations import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/rows/", views.inbox_rows, name="inbox_rows"),
    path("inbox/badge/", views.badge, name="inbox_badge"),
    path("inbox/saved-replies/", views.saved_replies, name="saved_replies"),
    path(
        "inbox/saved-replies/<uuid:public_id>/",
        views.edit_saved_reply,
        name="edit_saved_reply",
    ),
    path(
        "inbox/saved-replies/<uuid:public_id>/delete/",
        views.delete_saved_reply,
        name="delete_saved_reply",
    ),
    path("inbox/guest/<uuid:public_id>/", views.guest_conversation, name="guest_conversation"),
    path("inbox/<uuid:public_id>/", views.thread, name="inbox_thread"),
    path("inbox/<uuid:public_id>/live/", views.thread_live, name="inbox_live"),
    path("inbox/<uuid:public_id>/reply/", views.reply, name="inbox_reply"),
    path("inbox/<uuid:public_id>/preview/", views.preview, name="inbox_preview"),
    path("inbox/<uuid:public_id>/take-over/", views.take_over, name="inbox_take_over"),
    path("inbox/<uuid:public_id>/hand-back/", views.hand_back, name="inbox_hand_back"),
    path("inbox/<uuid:public_id>/assign/", views.assign, name="inbox_assign"),
    path("inbox/<uuid:public_id>/close/", views.close, name="inbox_close"),
    path("inbox/<uuid:public_id>/reopen/", views.reopen, name="inbox_reopen"),
    path("inbox/<uuid:public_id>/guests/", views.guest_matches, name="inbox_guest_matches"),
    path("inbox/<uuid:public_id>/link-guest/", views.link_guest, name="inbox_link_guest"),
    path("inbox/<uuid:public_id>/create-guest/", views.create_guest, name="inbox_create_guest"),
]
