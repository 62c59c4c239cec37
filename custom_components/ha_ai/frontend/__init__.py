"""The dashboard card, served by HA AI itself so that users install nothing else.

The card's files are served from a static path and the card is loaded on every
dashboard as an extra frontend module. Both are registered once per Home Assistant
run: routes cannot be removed from the running web server, and a reload of the entry
must not announce the module to open browsers a second time. The integration's
version goes into the module's address, so a new release is not served from a
browser's cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN

CARD_URL_BASE: Final = f"/{DOMAIN}_frontend"
CARD_MODULE: Final = "ha-ai-card.js"
# Every file the card's module imports, served beside it.
CARD_FILES: Final = (CARD_MODULE, "ha-ai-card-format.js")
_REGISTERED: HassKey[str] = HassKey(f"{DOMAIN}_card_module_url")


def card_module_url(version: str) -> str:
    """Return the address the dashboards load the card from, for `version`."""
    return f"{CARD_URL_BASE}/{CARD_MODULE}?v={version}"


async def async_register_card(hass: HomeAssistant, version: str) -> None:
    """Serve the card and load it on the dashboards, unless done already this run.

    Without the frontend (a Home Assistant run headless) there is nothing to load
    the card into, and nothing is registered.
    """
    if _REGISTERED in hass.data or "frontend" not in hass.config.components:
        return
    folder = Path(__file__).parent
    await hass.http.async_register_static_paths(
        [
            StaticPathConfig(
                f"{CARD_URL_BASE}/{name}", str(folder / name), cache_headers=True
            )
            for name in CARD_FILES
        ]
    )
    url = card_module_url(version)
    add_extra_js_url(hass, url)
    hass.data[_REGISTERED] = url
