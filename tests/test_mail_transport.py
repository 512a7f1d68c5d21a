"""Mail reaches a real SMTP server, with Vietnamese intact; refusals are classified."""
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
