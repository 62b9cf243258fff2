"""Read a cut list with the reference library, OpenTimelineIO, and print what it sees as JSON, in whole frames of
the given rate: the picture track's items with their record and source ranges, the transitions, and every track.

    python otio_read.py FILE ADAPTER RATE_NUM RATE_DEN

ADAPTER is otio_json, cmx_3600 or fcpx_xml. A file the library cannot read makes it exit non-zero with the
library's error: that is a failed test.
"""

import json
import sys
from urllib.parse import unquote, urlparse

import opentimelineio as otio


def frames(t, rate):
    return round(t.rescaled_to(rate).value, 6)


def main():
    path, adapter, num, den = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rate = num / den
    kwargs = {"rate": rate} if adapter == "cmx_3600" else {}
    result = otio.adapters.read_from_file(path, adapter_name=adapter, **kwargs)
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline)) or [
            c for c in result if isinstance(c, otio.schema.Timeline)
        ]
        assert len(timelines) == 1, f"expected one timeline, found {len(timelines)}"
        timeline = timelines[0]
    else:
        timeline = result
    tracks = []
    for track in timeline.tracks:
        items = []
        for i, child in enumerate(track):
            item = {"schema": child.schema_name(), "name": child.name}
            if isinstance(child, otio.schema.Transition):
                item["in_offset"] = frames(child.in_offset, rate)
                item["out_offset"] = frames(child.out_offset, rate)
                item["transition_type"] = child.transition_type
            else:
                rec = track.range_of_child_at_index(i)
                item["rec_in"] = frames(rec.start_time, rate)
                item["rec_frames"] = frames(rec.duration, rate)
                if isinstance(child, otio.schema.Clip):
                    src = child.source_range
                    item["src_in"] = frames(src.start_time, rate)
                    item["src_frames"] = frames(src.duration, rate)
                    ref = child.media_reference
                    if isinstance(ref, otio.schema.ExternalReference):
                        url = ref.target_url
                        item["path"] = unquote(urlparse(url).path) if url.startswith("file:") else url
                        if ref.available_range is not None:
                            item["available_in"] = frames(ref.available_range.start_time, rate)
                    elif isinstance(ref, otio.schema.GeneratorReference):
                        item["generator"] = ref.generator_kind
                    item["metadata"] = json.loads(otio.core.serialize_json_to_string(child.metadata))
                    item["markers"] = [m.name for m in child.markers]
            items.append(item)
        tracks.append(
            {"name": track.name, "kind": str(track.kind), "items": items, "markers": [m.name for m in track.markers]}
        )
    start = timeline.global_start_time
    print(
        json.dumps(
            {
                "name": timeline.name,
                "global_start": frames(start, rate) if start is not None else None,
                # As the library writes it: drop-frame at 29.97 and 59.94.
                "global_start_tc": otio.opentime.to_timecode(start.rescaled_to(rate), rate) if start is not None else None,
                "tracks": tracks,
            }
        )
    )


if __name__ == "__main__":
    main()
