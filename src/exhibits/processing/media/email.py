"""Email (.eml, RFC 5322): headers as facts, the body as text, attachments as children.

Each attachment (and each message forwarded as an attachment) becomes a member of the
email, so it becomes a child exhibit of every exhibit holding the email (JS/1/1...).
Attachment names are untrusted text: they are kept as member names, never used as paths.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any, ClassVar

from exhibits.processing.media import metadata as md
from exhibits.processing.processor import Child, Context, Derivative, ProcessingFailed, Processor, Result

_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def html_to_text(markup: str) -> str:
    text = re.sub(r"<\s*(br|/p|/div|/tr|/li)\b[^>]*>", "\n", markup, flags=re.IGNORECASE)
    text = _TAGS.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", html.unescape(text)).strip()


def _addresses(message: Message, header: str) -> list[str]:
    values = [str(v) for v in message.get_all(header, [])][:50]
    return [md.text(f"{name} <{addr}>" if name else addr, 256) or "" for name, addr in getaddresses(values)][
        :200
    ]


class EmailParts(Processor):
    name = "email"
    version = "1"
    accepts = ("message/rfc822",)
    queue = "default"
    timeout_seconds = 300
    memory_limit_mb: ClassVar[int | None] = 2048
    default_params: ClassVar[dict[str, Any]] = {"max_attachments": 500}

    def run(self, ctx: Context) -> Result:
        try:
            with ctx.input_path.open("rb") as handle:
                message = email.message_from_binary_file(handle, policy=email.policy.default)
        except Exception as exc:
            raise ProcessingFailed(f"not a readable email message: {str(exc)[:200]}") from exc
        assert isinstance(message, EmailMessage)
        notes = [f"email defect: {type(d).__name__}" for d in (message.defects or [])][:10]
        sent = None
        try:
            when = message.get("Date")
            sent = parsedate_to_datetime(str(when)).isoformat() if when else None
        except (TypeError, ValueError, IndexError):
            notes.append("the Date header could not be read")
        facts: dict[str, Any] = {
            "kind": "email",
            "from": _addresses(message, "From"),
            "to": _addresses(message, "To"),
            "cc": _addresses(message, "Cc"),
            "subject": md.text(message.get("Subject"), 1000),
            "date": sent,
            "message_id": md.text(message.get("Message-ID"), 256),
            "in_reply_to": md.text(message.get("In-Reply-To"), 256),
            "received": [md.text(r, 512) for r in message.get_all("Received", [])][:30],
        }
        body, attachments = self._walk(message, int(ctx.params["max_attachments"]), notes)
        children = []
        for number, (name, payload, mime) in enumerate(attachments, start=1):
            if not payload:
                notes.append(f"attachment {name!r} is empty (0 bytes): listed, no content to keep")
                continue
            path = ctx.workdir / f"attachment-{number}"
            path.write_bytes(payload)
            children.append(Child(path=path, member_path=name, facts={"declared_type": mime}))
        facts["attachments"] = [c.member_path for c in children]
        derivatives = []
        if body.strip():
            out = ctx.workdir / "body.txt"
            header = f"From: {', '.join(facts['from'])}\nTo: {', '.join(facts['to'])}\n"
            header += f"Date: {facts['date'] or ''}\nSubject: {facts['subject'] or ''}\n\n"
            out.write_text(header + body, encoding="utf-8")
            derivatives.append(Derivative("text", out, "text/plain; charset=utf-8", "email text", {}))
        facts["characters"] = len(body)
        return Result(facts=facts, derivatives=derivatives, children=children, warnings=notes)

    def _walk(
        self, message: EmailMessage, limit: int, notes: list[str]
    ) -> tuple[str, list[tuple[str, bytes, str]]]:
        plain: list[str] = []
        markup: list[str] = []
        attachments: list[tuple[str, bytes, str]] = []
        for part in message.walk():
            if part.is_multipart():
                continue
            mime = part.get_content_type()
            disposition = part.get_content_disposition()
            filename = part.get_filename()
            if disposition == "attachment" or filename or mime == "message/rfc822":
                if len(attachments) >= limit:
                    notes.append(f"more than {limit} attachments: the rest were not extracted")
                    break
                payload = _payload(part, notes)
                name = md.text(filename, 1000) or f"attachment-{len(attachments) + 1}"
                attachments.append((name, payload, mime))
            elif mime == "text/plain":
                plain.append(_text(part, notes))
            elif mime == "text/html":
                markup.append(_text(part, notes))
        body = "\n\n".join(plain) if plain else "\n\n".join(html_to_text(m) for m in markup)
        return body, attachments


def _payload(part: Message, notes: list[str]) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            return inner[0].as_bytes(policy=email.policy.default)
    try:
        return part.get_payload(decode=True) or b""
    except Exception as exc:
        notes.append(f"an attachment could not be decoded ({type(exc).__name__})")
        return b""


def _text(part: Message, notes: list[str]) -> str:
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, ValueError) as exc:
        notes.append(f"a text part could not be decoded ({type(exc).__name__}): shown leniently")
        raw = part.get_payload(decode=True) or b""
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
