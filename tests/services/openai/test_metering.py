"""The stream meter: event splitting, usage, model ids, errors; and non-stream rewriting."""
import json

from app.services.openai.metering import StreamMeter, rewrite_completion, usage_from
from app.services.quota.pricing import Usage


def chunk(content, model="Up/Model", **extra):
    return b"data: " + json.dumps({"id": "c1", "model": model, "choices": [{"index": 0, "delta": {
        "content": content}}], **extra}, separators=(",", ":")).encode() + b"\n\n"


USAGE = (b'data: {"id":"c1","model":"Up/Model","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,'
         b'"prompt_tokens_details":{"cached_tokens":3}}}\n\n')


def test_events_split_across_reads_go_out_whole_and_rewritten():
    meter = StreamMeter("mine", wants_usage=False)
    stream = chunk("Hé") + chunk("llo") + USAGE + b"data: [DONE]\n\n"
    out = b"".join(meter.feed(stream[i:i + 7]) for i in range(0, len(stream), 7))
    assert out == (chunk("Hé") + chunk("llo")).replace(b'"model":"Up/Model"', b'"model":"mine"')
    assert meter.done and meter.usage == Usage(prompt_tokens=5, cached_tokens=3, completion_tokens=2)
    assert meter.upstream_id == "c1"
    assert meter.generated_chunks == 2


def test_the_usage_chunk_goes_out_when_asked_for():
    meter = StreamMeter("mine", wants_usage=True)
    assert meter.feed(chunk("a") + USAGE) == chunk("a", model="mine") + USAGE.replace(b"Up/Model", b"mine")


def test_crlf_events_comments_and_other_fields_are_understood():
    meter = StreamMeter("mine", wants_usage=False)
    out = meter.feed(b": keepalive\r\n\r\n" + chunk("a").replace(b"\n", b"\r\n") + b"data: [DONE]\r\n\r\n")
    assert out == b": keepalive\n\n" + chunk("a", model="mine")
    assert meter.done


def test_usage_repeated_on_every_chunk_is_not_added_up():
    meter = StreamMeter("mine", wants_usage=False)
    meter.feed(chunk("a", usage={"prompt_tokens": 5, "completion_tokens": 1}))
    meter.feed(chunk("b", usage={"prompt_tokens": 5, "completion_tokens": 2}))
    assert meter.usage == Usage(prompt_tokens=5, completion_tokens=2)


def test_error_events_in_both_vllm_shapes_end_the_stream_normalised():
    for error in (b'{"error":{"message":"bad","type":"BadRequestError","param":null,"code":400}}',
                  b'{"object":"error","message":"bad","type":"BadRequestError","param":null,"code":400}'):
        meter = StreamMeter("mine", wants_usage=False)
        out = meter.feed(chunk("a") + b"data: " + error + b"\n\ndata: [DONE]\n\n")
        assert out.endswith(b'data: {"error":{"message":"bad","type":"invalid_request_error","param":null,'
                            b'"code":null}}\n\n')
        assert meter.finished and meter.error["message"] == "bad"


def test_a_model_spelt_differently_is_rewritten_by_reparsing():
    meter = StreamMeter("mine", wants_usage=False)
    out = meter.feed(b'data: {"model":"Up\\/Model","choices":[{"delta":{}}]}\n\n')
    assert json.loads(out[6:]) == {"model": "mine", "choices": [{"delta": {}}]}


def test_a_trailing_event_without_blank_line_is_flushed():
    meter = StreamMeter("mine", wants_usage=False)
    assert meter.feed(chunk("a")[:-2]) == b""
    assert meter.flush() == chunk("a", model="mine")


def test_an_event_whose_data_is_not_json_ends_the_stream_with_an_error():
    meter = StreamMeter("mine", wants_usage=False)
    out = meter.feed(chunk("a") + b"data: <html>Bad Gateway</html>\n\n" + chunk("b"))
    assert out.startswith(chunk("a", model="mine"))
    assert json.loads(out[len(chunk("a", model="mine")) + 6:]) == {"error": {
        "message": "The model's upstream server sent an event that is not JSON.", "type": "server_error",
        "param": None, "code": "bad_upstream_response"}}
    assert meter.finished and meter.generated_chunks == 1


def test_fields_that_are_not_text_are_dropped_comments_pass():
    meter = StreamMeter("mine", wants_usage=False)
    assert meter.feed(b"\xff\xfe noise\n\n: still here\n\n") == b": still here\n\n"
    assert meter.feed(b"\x00\xff unterminated") == b"" and meter.flush() == b""


def test_non_stream_bodies_keep_their_bytes_except_the_model():
    body = b'{"id":"x","model":"Up/Model","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}'
    payload = json.loads(body)
    assert rewrite_completion(body, payload, "mine") == body.replace(b"Up/Model", b"mine")
    assert usage_from(payload) == Usage(prompt_tokens=1, completion_tokens=2)
    assert usage_from({"usage": None}) is None
    assert usage_from({"usage": {"prompt_tokens": "x", "completion_tokens": -1}}) == Usage()
