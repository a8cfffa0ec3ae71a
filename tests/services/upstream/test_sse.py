"""Splitting a relayed copy of an event stream into events, wherever the chunks break."""
import json

from app.services.claude.metering import ClaudeMeter
from app.services.upstream.sse import SSEEventSplitter, event_data, event_name

STREAM = (b'event: message_start\ndata: {"type":"message_start","message":{"model":"m","usage":'
          b'{"input_tokens":5,"output_tokens":1}}}\n\n'
          b': a comment line\n\n'
          b'event: content_block_delta\ndata: {"type":"content_block_delta",'
          b'"delta":{"text":"\xc3\xa9\xe2\x82\xac"}}\n\n'
          b'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":9}}\n\n')


def split_all(data, size):
    splitter = SSEEventSplitter()
    events = []
    for i in range(0, len(data), size):
        events += splitter.feed(data[i:i + size])
    events += splitter.flush()
    return events, splitter


def test_events_come_out_whole_whatever_the_chunk_size():
    expected, _ = split_all(STREAM, len(STREAM))
    names = [event_name(block) for _, block in expected]
    assert names == [b"message_start", b"message", b"content_block_delta", b"message_delta"]
    for size in (1, 2, 3, 7, 64):
        events, splitter = split_all(STREAM, size)
        assert events == expected
        assert splitter.at_boundary


def test_crlf_and_cr_line_endings_split_the_same_way_even_across_chunks():
    for ending in (b"\r\n", b"\r"):
        data = STREAM.replace(b"\n", ending)
        for size in (1, 5, 13):
            events, _ = split_all(data, size)
            assert [event_name(b) for _, b in events] == [b"message_start", b"message", b"content_block_delta",
                                                         b"message_delta"]
            assert event_data(events[2][1])["delta"]["text"] == "é€"


def test_an_unfinished_event_is_held_back():
    splitter = SSEEventSplitter()
    assert splitter.feed(b"event: ping\ndata: {}\n") == []
    assert not splitter.at_boundary
    assert [name for name, _ in splitter.feed(b"\n")] == [b"ping"]


def test_multi_line_data_is_joined_and_non_json_is_ignored():
    assert event_data(b'event: x\ndata: {"a":\ndata: 1}') == {"a": 1}
    assert event_data(b"event: x\ndata: not json") is None
    assert event_data(b"event: x") is None


def test_the_meter_reads_a_stream_without_event_names():
    meter = ClaudeMeter("m", content_type="text/event-stream")
    for payload in ({"type": "message_start", "message": {"model": "claude-x", "usage": {"input_tokens": 3}}},
                    {"type": "message_delta", "usage": {"output_tokens": 4, "cache_read_input_tokens": None}}):
        meter.feed(b"data: " + json.dumps(payload).encode() + b"\n\n")
    assert (meter.model, meter.usage.input_tokens, meter.usage.output_tokens) == ("claude-x", 3, 4)
