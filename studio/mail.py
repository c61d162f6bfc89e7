"""A console e-mail backend for the embedded default that prints mails as a person reads them."""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class ReadableConsoleBackend(ConsoleBackend):
    """Print subject, recipients and the plain-text body, undecorated.

    Django's console backend prints the MIME source, where quoted-printable soft line breaks
    split long links (the verification link among them) across lines.
    """

    def write_message(self, message) -> None:
        self.stream.write(
            f"From: {message.from_email}\nTo: {', '.join(message.to)}\n"
            f"Subject: {message.subject}\n\n{message.body}\n{'-' * 79}\n"
        )
