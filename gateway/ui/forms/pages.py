"""Create and edit pages for an entity managed through keys/services: the
form collects text, the API's serializer validates it, the service writes it
(audit log and cache invalidation included), refusals land on the form."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from gateway.ui.admin_base import GatewayModelAdmin
from gateway.ui.forms.service import attempt, comma_list, shown, validated
from gateway.ui.rights import rights_of
from keys.services.common import Actor


class ServiceForm(forms.Form):
    """Text inputs named as the API's fields; `list_fields` are comma-separated;
    `create_only` fields are left out of edits."""

    list_fields: tuple[str, ...] = ()
    create_only: tuple[str, ...] = ()

    def __init__(self, *args, is_edit: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.is_edit = is_edit
        if is_edit:
            for name in self.create_only:
                self.fields.pop(name, None)

    def api_fields(self) -> dict:
        values = {}
        for name, value in self.cleaned_data.items():
            if isinstance(self.fields[name], forms.BooleanField):
                values[name] = value
                continue
            value = (value or "").strip()
            if name in self.list_fields:
                if value or self.is_edit:
                    values[name] = comma_list(value)
            elif value:
                values[name] = value
            elif self.is_edit:
                values[name] = None  # emptied on the form: cleared
        return values


def initial_from(row, form_class: type[ServiceForm]) -> dict:
    return {name: shown(getattr(row, name, None)) for name in form_class.base_fields}


class ServiceAdmin(GatewayModelAdmin):
    """A model admin whose add and change pages are ServiceForms run through services."""

    form_class: type[ServiceForm]
    new_serializer = None
    update_serializer = None
    detail_template = "ui/keys/object_page.html"
    list_title = ""

    def create(self, actor: Actor, fields: dict):
        raise NotImplementedError

    def update(self, actor: Actor, row, fields: dict):
        raise NotImplementedError

    def title_of(self, row) -> str:
        return str(row.pk)

    def detail_context(self, request: HttpRequest, row) -> dict:
        return {}

    def after_create(self, request: HttpRequest, created) -> HttpResponse:
        self.message_user(request, f"{self.model._meta.verbose_name.capitalize()} created.", messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(created))

    def change_url(self, row) -> str:
        return reverse(f"ui:{self.model._meta.app_label}_{self.model._meta.model_name}_change", args=[quote(row.pk)])

    def page(self, request: HttpRequest, template: str, **context) -> TemplateResponse:
        return TemplateResponse(request, template, {**self.admin_site.each_context(request),
                                                    "opts": self.model._meta, **context})

    def changelist_view(self, request: HttpRequest, extra_context=None):
        title = self.list_title or self.model._meta.verbose_name_plural.capitalize()
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        actor = rights_of(request).actor
        form = self.form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            created = attempt(form, lambda: self.create(actor, validated(self.new_serializer, form.api_fields())))
            if created is not None:
                return self.after_create(request, created)
        return self.page(request, "ui/keys/object_page.html", form=form,
                         title=f"New {self.model._meta.verbose_name}", submit_label="Create")

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        row = get_object_or_404(self.get_queryset(request), pk=unquote(object_id))
        may_change = self.has_change_permission(request, row)
        form = self.form_class(request.POST or None, is_edit=True, initial=initial_from(row, self.form_class))
        if request.method == "POST":
            if not may_change:
                raise PermissionDenied
            if form.is_valid():
                actor = rights_of(request).actor
                if attempt(form, lambda: self.update(actor, row, validated(self.update_serializer,
                                                                             self.update_data(row, form)))):
                    self.message_user(request, "Saved.", messages.SUCCESS)
                    return HttpResponseRedirect(self.change_url(row))
        return self.page(request, self.detail_template, row=row, form=form if may_change else None,
                         title=self.title_of(row), submit_label="Save", **self.detail_context(request, row))

    def update_data(self, row, form: ServiceForm) -> dict:
        """What the update serializer takes: the form's values plus the row's id where it wants one."""
        return form.api_fields()
