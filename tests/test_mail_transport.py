"""Mail reaches a real SMTP server, with Vietnamese intact; refusals are classified."""
import socket
import threading

import pytest

from eventsapp.mail.compose import Mail, text_part
from eventsapp.mail.transport import FolderTransport, PermanentFailure, SmtpTransport, TemporaryFailure


def vietnamese_message(to: str) -> Mail:
    message = Mail(text_part("Kính gửi chị Thủy, trân trọng kính mời chị đến dự buổi gặp mặt."))
    message["From"] = "Hội hữu nghị Việt Nam – Nhật Bản <viet-nhat@example.vn>"
    message["To"] = f"Nguyễn Thị Thủy <{to}>"
    message["Subject"] = "Thư mời: Gặp mặt đầu Xuân Quê hương 2027"
    return message


def test_a_message_is_received_by_the_smtp_server(smtp_sink):
    with SmtpTransport("127.0.0.1", smtp_sink.port) as transport:
        message_id = transport.send(vietnamese_message("thuy@example.vn"))
    received = smtp_sink.wait_for(1)[0]
    assert received.recipients == ["thuy@example.vn"]
    assert received.mail_from == "viet-nhat@example.vn"
    assert received.header("From") == "Hội hữu nghị Việt Nam – Nhật Bản <viet-nhat@example.vn>"
    assert received.header("To") == "Nguyễn Thị Thủy <thuy@example.vn>"
    parsed = received.message
    assert parsed["Subject"] == "Thư mời: Gặp mặt đầu Xuân Quê hương 2027"
    assert parsed["Message-ID"] == message_id
    assert "trân trọng kính mời" in parsed.get_content()


def test_a_refused_recipient_is_a_permanent_failure_with_the_reason(smtp_sink):
    smtp_sink.handler.reject["gone@example.vn"] = "550 5.1.1 No such mailbox"
    with SmtpTransport("127.0.0.1", smtp_sink.port) as transport:
        with pytest.raises(PermanentFailure, match="No such mailbox"):
            transport.send(vietnamese_message("gone@example.vn"))
        transport.send(vietnamese_message("ok@example.vn"))  # the connection is still usable
    assert [m.recipients for m in smtp_sink.wait_for(1)] == [["ok@example.vn"]]


def test_a_server_that_is_down_is_a_temporary_failure():
    with pytest.raises(TemporaryFailure):
        with SmtpTransport("127.0.0.1", 1, timeout=2):
            pass


def test_development_mail_goes_to_the_outbox_folder(tmp_path):
    with FolderTransport(str(tmp_path)) as transport:
        transport.send(vietnamese_message("thuy@example.vn"))
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    assert "Gặp mặt đầu Xuân" in files[0].read_bytes().decode("utf-8", "replace") or b"=?utf-8?" in files[0].read_bytes()


def test_without_pipelining_the_message_goes_one_command_at_a_time(smtp_sink):
    smtp_sink.handler.pipelining = False
    with SmtpTransport("127.0.0.1", smtp_sink.port) as transport:
        assert not transport.pipelining
        transport.send(vietnamese_message("thuy@example.vn"))
    assert smtp_sink.wait_for(1)[0].recipients == ["thuy@example.vn"]


def test_lines_that_start_with_a_dot_arrive_as_written(smtp_sink):
    body = ".\n.. hai chấm\nmột dòng\n.cuối"
    for pipelining in (True, False):
        smtp_sink.clear()
        smtp_sink.handler.pipelining = pipelining
        message = Mail(text_part(body))
        message["From"] = "viet-nhat@example.vn"
        message["To"] = "thuy@example.vn"
        with SmtpTransport("127.0.0.1", smtp_sink.port) as transport:
            transport.send(message)
        assert smtp_sink.wait_for(1)[0].message.get_content().splitlines() == body.splitlines()


def test_a_refused_sender_is_classified_and_the_next_message_still_goes(smtp_sink):
    async def refuse_one_sender(server, session, envelope, address, mail_options):
        if address == "blocked@example.vn":
            return "553 5.7.1 Sender address rejected"
        envelope.mail_from = address
        return "250 OK"

    smtp_sink.handler.handle_MAIL = refuse_one_sender
    try:
        refused = vietnamese_message("thuy@example.vn")
        with SmtpTransport("127.0.0.1", smtp_sink.port) as transport:
            with pytest.raises(PermanentFailure, match="Sender address rejected"):
                transport.send(refused, envelope_sender="blocked@example.vn")
            transport.send(vietnamese_message("ok@example.vn"))
    finally:
        del smtp_sink.handler.handle_MAIL
    assert [m.recipients for m in smtp_sink.wait_for(1)] == [["ok@example.vn"]]


def test_with_a_pipelining_server_mail_rcpt_and_data_go_before_any_reply():
    """RFC 2920: two round trips a message. The scripted server answers nothing until it has read
    MAIL, RCPT and DATA; a client that waits for each reply would time out here."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    seen: dict = {}

    def serve():
        connection, _ = server.accept()
        connection.settimeout(5)
        stream = connection.makefile("rb")
        connection.sendall(b"220 scripted ESMTP\r\n")
        stream.readline()  # EHLO
        connection.sendall(b"250-scripted\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        seen["commands"] = [stream.readline().split(b":")[0].strip() for _ in range(3)]
        connection.sendall(b"250 sender ok\r\n250 recipient ok\r\n354 go ahead\r\n")
        lines = []
        while (line := stream.readline()) != b".\r\n":
            lines.append(line)
        seen["data"] = b"".join(lines)
        connection.sendall(b"250 queued\r\n")
        stream.readline()  # QUIT
        connection.sendall(b"221 bye\r\n")
        connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with SmtpTransport("127.0.0.1", port, timeout=5) as transport:
        transport.send(vietnamese_message("thuy@example.vn"))
    thread.join(10)
    server.close()
    assert seen["commands"] == [b"MAIL FROM", b"RCPT TO", b"DATA"]
    assert b"Subject: " in seen["data"]
