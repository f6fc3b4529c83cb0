"""Pure codec tests: Engine.IO packets/payloads and Socket.IO packets (incl. properties)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lingualeap.transports.socketio.engineio_packets import (
    DecodeError,
    Packet,
    PacketType,
    decode_packet,
    decode_payload,
    encode_packet,
    encode_payload,
    open_packet,
)
from lingualeap.transports.socketio.socketio_packets import (
    MAX_ATTACHMENTS,
    PacketDecoder,
    SocketIODecodeError,
    SocketIOPacket,
    SocketIOPacketType,
    decode_text,
    deconstruct,
    encode_json,
    encode_packet as sio_encode,
    has_binary,
    reconstruct,
)

T = SocketIOPacketType

# -- Engine.IO -----------------------------------------------------------------------------


class TestEngineIOPackets:
    def test_text_and_binary_frames(self) -> None:
        assert encode_packet(Packet(PacketType.MESSAGE, "hello")) == "4hello"
        assert encode_packet(Packet(PacketType.PING, "probe")) == "2probe"
        assert encode_packet(Packet(PacketType.MESSAGE, b"\x01")) == b"\x01"
        assert decode_packet("3probe") == Packet(PacketType.PONG, "probe")
        assert decode_packet(b"\x00\x01") == Packet(PacketType.MESSAGE, b"\x00\x01")
        assert Packet(PacketType.MESSAGE, "é").frame == ("4é".encode(), False)
        assert Packet(PacketType.MESSAGE, b"\x02").frame == (b"\x02", True)

    def test_only_messages_carry_bytes(self) -> None:
        with pytest.raises(ValueError):
            Packet(PacketType.PING, b"x")

    @pytest.mark.parametrize("frame", ["", "7", "x4hello", "b"])
    def test_bad_frames(self, frame: str) -> None:
        with pytest.raises(DecodeError):
            decode_packet(frame)

    def test_payload_framing(self) -> None:
        packets = [
            Packet(PacketType.MESSAGE, "hello"),
            Packet(PacketType.PING),
            Packet(PacketType.MESSAGE, b"\x01\x02\x03\x04"),
        ]
        body = encode_payload(packets)
        assert body == b"4hello\x1e2\x1ebAQIDBA=="
        assert decode_payload(body) == packets

    @pytest.mark.parametrize(
        "body", [b"", b"4a\x1e", b"\x1e4a", b"9", b"bA", b"b!!!!", b"4\xff", "bé".encode()]
    )
    def test_bad_payloads(self, body: bytes) -> None:
        with pytest.raises(DecodeError):
            decode_payload(body)

    def test_open_packet_has_exactly_five_keys(self) -> None:
        packet = open_packet("abc", ["websocket"], 25000, 20000, 1_000_000)
        assert packet.type is PacketType.OPEN
        assert json.loads(packet.data) == {
            "sid": "abc",
            "upgrades": ["websocket"],
            "pingInterval": 25000,
            "pingTimeout": 20000,
            "maxPayload": 1_000_000,
        }
        assert " " not in packet.data


text_packets = st.builds(
    Packet,
    st.sampled_from(list(PacketType)),
    st.text(alphabet=st.characters(blacklist_characters="\x1e", codec="utf-8")),
)
binary_packets = st.builds(Packet, st.just(PacketType.MESSAGE), st.binary())


@given(st.lists(st.one_of(text_packets, binary_packets), min_size=1))
def test_payload_round_trip(packets: list[Packet]) -> None:
    assert decode_payload(encode_payload(packets)) == packets


@given(st.one_of(text_packets, binary_packets))
def test_frame_round_trip(packet: Packet) -> None:
    assert decode_packet(encode_packet(packet)) == packet


@given(st.binary())
def test_payload_decoder_fails_only_with_decode_error(body: bytes) -> None:
    try:
        decode_payload(body)
    except DecodeError:
        pass


@given(st.text())
def test_frame_decoder_fails_only_with_decode_error(frame: str) -> None:
    try:
        decode_packet(frame)
    except DecodeError:
        pass


# -- Socket.IO -----------------------------------------------------------------------------


def encoded(packet: SocketIOPacket) -> list[str | bytes]:
    return sio_encode(packet)


class TestSocketIOEncode:
    @pytest.mark.parametrize(
        ("packet", "wire"),
        [
            (SocketIOPacket(T.CONNECT), "0"),
            (SocketIOPacket(T.CONNECT, "/admin"), "0/admin,"),
            (SocketIOPacket(T.CONNECT, "/", {"sid": "x"}), '0{"sid":"x"}'),
            (SocketIOPacket(T.DISCONNECT, "/admin"), "1/admin,"),
            (SocketIOPacket(T.EVENT, "/", ["hey", "Jude"]), '2["hey","Jude"]'),
            (SocketIOPacket(T.EVENT, "/admin", ["foo"], 13), '2/admin,13["foo"]'),
            (SocketIOPacket(T.ACK, "/", [], 12), "312[]"),
            (
                SocketIOPacket(T.CONNECT_ERROR, "/random", {"message": "Invalid namespace"}),
                '4/random,{"message":"Invalid namespace"}',
            ),
            (SocketIOPacket(T.EVENT, "/", ["é", "✓"]), '2["é","✓"]'),
        ],
    )
    def test_text_packets(self, packet: SocketIOPacket, wire: str) -> None:
        assert encoded(packet) == [wire]

    def test_binary_event_uses_placeholders_depth_first(self) -> None:
        packet = SocketIOPacket(T.EVENT, "/admin", ["baz", {"a": b"\x01", "b": [b"\x02"]}], 5)
        assert encoded(packet) == [
            '52-/admin,5["baz",{"a":{"_placeholder":true,"num":0},'
            '"b":[{"_placeholder":true,"num":1}]}]',
            b"\x01",
            b"\x02",
        ]

    def test_binary_ack(self) -> None:
        assert encoded(SocketIOPacket(T.ACK, "/", ["bar", bytearray(b"\x03")], 15)) == [
            '61-15["bar",{"_placeholder":true,"num":0}]',
            b"\x03",
        ]

    def test_lone_surrogates_are_escaped(self) -> None:
        [text] = encoded(SocketIOPacket(T.EVENT, "/", ["x", "\ud800"]))
        assert isinstance(text, str)
        text.encode("utf-8")
        assert json.loads(text[1:]) == ["x", "\ud800"]

    def test_nan_is_not_json(self) -> None:
        with pytest.raises(ValueError):
            encode_json(float("nan"))


class TestSocketIODecode:
    @pytest.mark.parametrize(
        ("text", "packet"),
        [
            ("0", SocketIOPacket(T.CONNECT)),
            ('0{"token":"123"}', SocketIOPacket(T.CONNECT, "/", {"token": "123"})),
            ("0/admin,", SocketIOPacket(T.CONNECT, "/admin")),
            ("0/random", SocketIOPacket(T.CONNECT, "/random")),
            ('0/admin,{"a":1}', SocketIOPacket(T.CONNECT, "/admin", {"a": 1})),
            ("1/custom", SocketIOPacket(T.DISCONNECT, "/custom")),
            ('2["hey","Jude"]', SocketIOPacket(T.EVENT, "/", ["hey", "Jude"])),
            ('2/admin,13["foo"]', SocketIOPacket(T.EVENT, "/admin", ["foo"], 13)),
            ("2[1]", SocketIOPacket(T.EVENT, "/", [1])),
            ("312[]", SocketIOPacket(T.ACK, "/", [], 12)),
            ('4{"message":"no"}', SocketIOPacket(T.CONNECT_ERROR, "/", {"message": "no"})),
            ('4"legacy"', SocketIOPacket(T.CONNECT_ERROR, "/", "legacy")),
        ],
    )
    def test_valid(self, text: str, packet: SocketIOPacket) -> None:
        assert decode_text(text) == (packet, 0)

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "7",
            "abc",
            "0[]",
            "0null",
            "1{}",
            "2",
            "2{}",
            "2[]",
            '2["connect"]',
            '2["disconnecting"]',
            "2[true]",
            "2[null]",
            '2abc["x"]',
            "3",
            "3{}",
            "4",
            "4[]",
            '2["x",NaN]',
            '2["x",Infinity]',
            '2["x"] trailing',
            '5["x"]',
            '5-["x"]',
            '511-["x"]',
            '5a-["x"]',
            '21234567890123456789["x"]',
            "2" + "[" * 100_000 + "]" * 100_000,
        ],
    )
    def test_invalid(self, text: str) -> None:
        with pytest.raises(SocketIODecodeError):
            decode_text(text)

    def test_binary_reassembly(self) -> None:
        decoder = PacketDecoder()
        assert decoder.feed('52-/a,7["m",{"_placeholder":true,"num":1},'
                            '{"_placeholder":true,"num":0}]') is None
        assert decoder.reconstructing
        assert decoder.feed(b"zero") is None
        packet = decoder.feed(b"one")
        assert packet == SocketIOPacket(T.BINARY_EVENT, "/a", ["m", b"one", b"zero"], 7)
        assert not decoder.reconstructing

    def test_binary_with_no_attachments_completes_at_once(self) -> None:
        assert PacketDecoder().feed('60-3["x"]') == SocketIOPacket(T.BINARY_ACK, "/", ["x"], 3)

    @pytest.mark.parametrize(
        "messages",
        [
            [b"\x00"],
            ['51-["m",{"_placeholder":true,"num":0}]', '2["x"]'],
            ['51-["m",{"_placeholder":true,"num":1}]', b"\x00"],
            ['51-["m",{"_placeholder":true,"num":"0"}]', b"\x00"],
            ['51-["m",{"_placeholder":true,"num":true}]', b"\x00"],
        ],
    )
    def test_reassembly_errors(self, messages: list[str | bytes]) -> None:
        decoder = PacketDecoder()
        with pytest.raises(SocketIODecodeError):
            for message in messages:
                decoder.feed(message)

    def test_max_attachments(self) -> None:
        placeholders = ",".join(f'{{"_placeholder":true,"num":{n}}}' for n in range(10))
        decoder = PacketDecoder()
        assert decoder.feed(f'5{MAX_ATTACHMENTS}-["m",{placeholders}]') is None
        for n in range(MAX_ATTACHMENTS - 1):
            assert decoder.feed(bytes([n])) is None
        packet = decoder.feed(b"last")
        assert packet is not None and packet.data[-1] == b"last"


# -- Socket.IO properties ------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
values_with_binary = st.recursive(
    st.one_of(json_scalars, st.binary()),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8).filter(lambda k: k != "_placeholder"), children,
                        max_size=4),
    ),
    # At most MAX_ATTACHMENTS (10) binary leaves can be sent in one packet: keep under it.
    max_leaves=9,
)
event_names = st.text(min_size=1).filter(
    lambda s: s not in {"connect", "connect_error", "disconnect", "disconnecting",
                        "newListener", "removeListener"}
)
namespaces = st.one_of(
    st.just("/"), st.text(alphabet=st.characters(blacklist_characters=","), max_size=10)
    .map(lambda s: "/" + s)
)
ack_ids = st.one_of(st.none(), st.integers(min_value=0, max_value=2**53 - 1))


def feed_all(messages: list[str | bytes]) -> SocketIOPacket:
    decoder = PacketDecoder()
    results = [decoder.feed(m) for m in messages]
    assert all(r is None for r in results[:-1])
    final = results[-1]
    assert final is not None and not decoder.reconstructing
    return final


def _normalise(value: Any) -> Any:
    """JSON turns tuples into lists and bytearrays come back as bytes."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


@settings(max_examples=300)
@given(namespaces, event_names, st.lists(values_with_binary, max_size=4), ack_ids)
def test_event_round_trip(namespace: str, event: str, args: list[Any], ack_id: int | None) -> None:
    assume(_count_binary(args) <= MAX_ATTACHMENTS)
    packet = SocketIOPacket(T.EVENT, namespace, [event, *args], ack_id)
    decoded = feed_all(sio_encode(packet))
    expected_type = T.BINARY_EVENT if has_binary(args) else T.EVENT
    assert decoded == SocketIOPacket(expected_type, namespace, [event, *_normalise(args)], ack_id)


@given(namespaces, st.lists(values_with_binary, max_size=4), st.integers(0, 2**53 - 1))
def test_ack_round_trip(namespace: str, args: list[Any], ack_id: int) -> None:
    assume(_count_binary(args) <= MAX_ATTACHMENTS)
    decoded = feed_all(sio_encode(SocketIOPacket(T.ACK, namespace, args, ack_id)))
    assert decoded.namespace == namespace and decoded.ack_id == ack_id
    assert decoded.data == _normalise(args)


@given(values_with_binary)
def test_deconstruct_reconstruct(value: Any) -> None:
    stripped, buffers = deconstruct(value)
    assert not has_binary(stripped)
    assert reconstruct(stripped, buffers) == _normalise(value)


@settings(max_examples=500)
@given(st.lists(st.one_of(st.text(), st.binary(max_size=8)), min_size=1, max_size=5))
def test_decoder_fails_only_with_decode_error(messages: list[str | bytes]) -> None:
    decoder = PacketDecoder()
    for message in messages:
        try:
            decoder.feed(message)
        except SocketIODecodeError:
            decoder = PacketDecoder()


@settings(max_examples=500)
@given(
    st.sampled_from("0123456"),
    st.sampled_from(["", "1-", "2-", "0-", "x-"]),
    st.sampled_from(["", "/", "/a,", "/a", "/,"]),
    st.sampled_from(["", "0", "12", "9" * 20]),
    st.one_of(st.text(max_size=20), st.sampled_from(['["m"]', "[]", "{}", "null", '"s"'])),
)
def test_structured_garbage(kind: str, count: str, nsp: str, ack: str, tail: str) -> None:
    """Near-valid packets: decode or raise SocketIODecodeError, nothing else."""
    try:
        packet, attachments = decode_text(kind + count + nsp + ack + tail)
    except SocketIODecodeError:
        return
    assert 0 <= attachments <= MAX_ATTACHMENTS
    assert packet.namespace.startswith("/")


def _count_binary(value: Any) -> int:
    if isinstance(value, (bytes, bytearray)):
        return 1
    if isinstance(value, list):
        return sum(_count_binary(v) for v in value)
    if isinstance(value, dict):
        return sum(_count_binary(v) for v in value.values())
    return 0
