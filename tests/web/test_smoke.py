from tests.conftest import login


async def test_clerk_logs_in_and_sees_name_and_role(client):
    await login(client, "dhz.clerk1")
    resp = await client.get("/")
    html = await resp.text()
    assert resp.status == 200
    assert "赵海燕" in html and "公文收发员" in html and "东湖镇人民政府" in html
