from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from requests import views

# Every staff login needs a TOTP (or backup) code as well as the password.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Privacy Portal"
admin.site.site_title = "Privacy Portal staff"
admin.site.index_title = "Privacy requests"

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
