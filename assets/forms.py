"""Forms of the asset pages: every piece of request input passes through one of these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import pluralize
from django.utils.http import url_has_allowed_host_and_scheme

from assets.models import FORMAT_FILES, Asset, AssetQuerySet

#: What the file picker offers: MIME types and extensions of the formats we accept. Only a hint
#: for the browser; the server decides by content (assets.services.store_upload).
ACCEPT = ",".join(
    sorted(
        {mime for _, mime in FORMAT_FILES.values()}
        | {ext for ext, _ in FORMAT_FILES.values()}
        | {".jpeg", ".heif", ".tiff"}
    )
)


def _any(label: str, choices: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", label), *choices]


class LibraryFilterForm(forms.Form):
    """The library's GET filters: kind, module, format, a file-name search and the page."""

    q = forms.CharField(
        label="File name",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search file names"}),
    )
    kind = forms.ChoiceField(choices=_any("Any kind", Asset.Kind.choices), required=False)
    module = forms.ChoiceField(choices=_any("Any module", Asset.Module.choices), required=False)
    format = forms.ChoiceField(
        # Pillow's format names are stored; users know them by their MIME subtype (HEIC, WEBP).
        choices=_any(
            "Any format", [(f, m.split("/")[1].upper()) for f, (_, m) in FORMAT_FILES.items()]
        ),
        required=False,
    )
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def filter(self, assets: AssetQuerySet) -> AssetQuerySet:
        """Return ``assets`` narrowed by the valid filters.

        An invalid value (a stale bookmark, a hand-edited URL) drops only its own filter; the
        form then carries the error to show next to the field.
        """
        self.is_valid()
        data = self.cleaned_data
        for field in ("kind", "module", "format"):
            if data.get(field):
                assets = assets.filter(**{field: data[field]})
        if data.get("q"):
            assets = assets.filter(filename__icontains=data["q"])
        return assets

    @property
    def filtering(self) -> bool:
        """Return True when a valid filter narrows the list (after ``filter``)."""
        return any(self.cleaned_data.get(field) for field in ("q", "kind", "module", "format"))


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files and cleans to a list of them."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        """Return the uploaded files as a list; raises ValidationError when there are none."""
        clean_one = super().clean
        files = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if not files:
            clean_one(None, initial)  # raises the "required" error when the field is required
            return []
        return [clean_one(file, initial) for file in files]


class UploadForm(forms.Form):
    """One or more image files. Size, type and pixel limits are checked per file on storing."""

    images = MultipleFileField(
        # Empty files are refused per file by store_upload, with the others still stored.
        allow_empty_file=True,
        error_messages={"required": "Choose at least one image to upload."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["images"].widget.attrs.update({"accept": ACCEPT})

    def clean_images(self) -> list[UploadedFile]:
        """Refuse more than STUDIO_MAX_FILES_PER_UPLOAD files in one request."""
        images = self.cleaned_data["images"]
        limit = settings.STUDIO_MAX_FILES_PER_UPLOAD
        if len(images) > limit:
            raise forms.ValidationError(
                f"You chose {len(images)} files; upload at most {limit} at a time."
            )
        return images


class DownloadForm(forms.Form):
    """``?inline=1`` to show the file in the browser instead of saving it."""

    # HiddenInput keeps the raw value, which BooleanField reads "0" and "false" as False;
    # a CheckboxInput would call any non-empty string True.
    inline = forms.BooleanField(required=False, widget=forms.HiddenInput)


class UUIDListField(forms.Field):
    """A repeated field (``codes=…&codes=…``) of UUIDs, cleaned to a list without duplicates."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[UUID]:
        field = forms.UUIDField()
        return list(dict.fromkeys(field.clean(item) for item in value or []))


class BulkForm(forms.Form):
    """An action on the assets ticked in the library: download them as a ZIP, or delete them."""

    action = forms.ChoiceField(choices=[("zip", "Download ZIP"), ("delete", "Delete")])
    codes = UUIDListField(error_messages={"required": "Select at least one asset first."})
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, host: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.host = host

    def clean_next(self) -> str:
        """Return the page to go back to: a local path, or "" when absent or foreign."""
        url = self.cleaned_data["next"]
        return url if url_has_allowed_host_and_scheme(url, allowed_hosts={self.host}) else ""

    def clean(self) -> dict[str, Any]:
        """Refuse a ZIP of more than STUDIO_ZIP_MAX_FILES assets."""
        data = super().clean()
        limit = settings.STUDIO_ZIP_MAX_FILES
        if data.get("action") == "zip" and len(data.get("codes", [])) > limit:
            raise forms.ValidationError(
                f"A ZIP holds at most {limit} file{pluralize(limit)}; select fewer."
            )
        return data
