"""What a person does on a clustered map (the staff map and the public map share one clustering script)."""

from __future__ import annotations

from playwright.sync_api import expect

CLUSTER = ".marker-cluster"


def open_clusters_by_keyboard(page, map_selector: str, *, openings: int = 3) -> None:
    """Focus a cluster and press Enter, waiting for each zoom to end, until no cluster is left or ``openings`` are done."""
    cluster = page.locator(CLUSTER)
    markers = page.locator(".leaflet-marker-icon")
    for _opening in range(openings):
        before = markers.count()
        cluster.first.focus()
        page.keyboard.press("Enter")
        expect(page.locator(f"{map_selector}.leaflet-zoom-anim")).to_have_count(0)
        expect(markers).not_to_have_count(before)
        if cluster.count() == 0:
            break
