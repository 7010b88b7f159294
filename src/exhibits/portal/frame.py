"""The shared page frame's strings that a member of the public reads (templates base.html and
error.html of exhibits.webui), marked here so that the portal's Welsh catalogue carries them:
the public portal must be wholly Welsh even where the officers' pages are not yet translated."""

from __future__ import annotations

from exhibits.portal.forms import N_

FRAME = (
    N_("Exhibits"),
    N_("Skip to main content"),
    N_("Language"),
    N_("Change"),
    N_("Exhibits %(version)s · evidence is logged every time it is opened"),
    N_("Something went wrong"),
    N_("This could not be done"),
    N_("Page not found"),
    N_("There is nothing at this address, or you may not see it."),
    N_("Go to the home page"),
    N_("this link is not known, has expired or has already been used"),
)
