"""Media on S3-compatible storage (django-storages) against moto's server on loopback: upload,
renditions and delivery, with nothing written to the local disk."""

import json
import re
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from mallkit.catalog.models import ProductImage
from mallkit.core import backup
from tests.backoffice.pictures import jpeg, png
from tests.backoffice.roles import make_person
from tests.storefront.factories import make_product

pytestmark = pytest.mark.django_db

ACCESS_KEY, SECRET_KEY, REGION = "testing-access-key", "testing-secret-key", "us-east-1"


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 in a thread of this process, on a free loopback port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A new bucket, made the shop's media storage the way production settings do it."""
    import boto3

    name = f"media-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    client.create_bucket(Bucket=name)
    # Shop pictures are public, as a production bucket's policy makes them.
    client.put_bucket_policy(
        Bucket=name,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{name}/*",
                    }
                ],
            }
        ),
    )
    settings.AWS_STORAGE_BUCKET_NAME = name
    settings.AWS_S3_ENDPOINT_URL = s3_endpoint
    settings.AWS_S3_REGION_NAME = REGION
    settings.AWS_S3_ACCESS_KEY_ID = ACCESS_KEY
    settings.AWS_S3_SECRET_ACCESS_KEY = SECRET_KEY
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.AWS_QUERYSTRING_AUTH = False
    settings.AWS_DEFAULT_ACL = None
    # Last: changing STORAGES makes Django build the default storage afresh from the above.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MALLKIT_MODE = "shop"
    return client, name


def keys(client, bucket_name) -> list[str]:
    listing = client.list_objects_v2(Bucket=bucket_name)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def local_files(root) -> list[Path]:
    root = Path(root)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_upload_renditions_and_delivery_through_s3(client, bucket, s3_endpoint, settings):
    s3, bucket_name = bucket
    product = make_product("Desk Lamp", sku="LAMP-S3")
    client.force_login(make_person("catalogue"))

    # Uploaded through the back office, like a catalogue manager does.
    response = client.post(
        reverse("backoffice:product_pictures", args=[product.pk]),
        {"images": [jpeg(), png()]},
    )

    assert response.status_code == 302
    pictures = list(ProductImage.objects.filter(product=product).order_by("position"))
    assert len(pictures) == 2
    stored = keys(s3, bucket_name)
    for picture in pictures:
        # The original and a rendition for each size, all in the bucket.
        assert picture.image.name in stored
        renditions = [key for key in stored if key.startswith(picture.image.name + ".")]
        assert len(renditions) == len(settings.THUMBNAIL_ALIASES[""])
        assert all(key.endswith(".webp") for key in renditions)

    # Shoppers' pages link the bucket's URLs, which deliver the pictures.
    client.logout()
    page = client.get(f"/products/{product.slug}/").content.decode()
    urls = sorted(set(re.findall(rf'src="({re.escape(s3_endpoint)}/[^"]+)"', page)))
    assert urls
    assert all(f"/{bucket_name}/" in url for url in urls)
    for url in urls:
        with urllib.request.urlopen(url, timeout=10) as delivered:  # noqa: S310 - loopback
            assert delivered.status == 200
            assert delivered.read(12)[8:12] == b"WEBP"

    # Nothing went to the local disk.
    assert local_files(settings.MEDIA_ROOT) == []
    assert client.get("/healthz").json()["storage"] == "ok"


def test_media_archive_moves_a_shop_from_s3_to_local_disk(bucket, settings, tmp_path):
    s3, bucket_name = bucket
    make_product("Desk Lamp", sku="LAMP-MOVE", pictures=2)
    in_bucket = keys(s3, bucket_name)
    assert in_bucket

    archive = tmp_path / "mallkit-20260101-000000.media.tar.gz"
    assert backup.archive_media(path=archive) == len(in_bucket)
    local = FileSystemStorage(location=tmp_path / "restored")
    assert backup.restore_media(path=archive, storage=local) == len(in_bucket)

    restored = sorted(
        str(path.relative_to(tmp_path / "restored")) for path in local_files(tmp_path / "restored")
    )
    assert restored == in_bucket
    assert local_files(settings.MEDIA_ROOT) == []


def test_health_reports_a_missing_bucket(client, bucket, settings):
    settings.AWS_STORAGE_BUCKET_NAME = "no-such-bucket-of-this-shop"
    settings.STORAGES = {**settings.STORAGES}  # rebuilds the storage with the new bucket

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "cache": "ok", "storage": "down"}
    assert "no-such-bucket" not in response.content.decode()
