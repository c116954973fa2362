"""Location from a DB-IP-shaped database: `--geoip` reads DB-IP City (Lite) as well as GeoLite2-City.

The database is written here with `mmdb-writer` (a MaxMind DB writer we did not write), in the layout DB-IP
publishes: English names only, no geoname ids, a continent code. The breach drill covers GeoLite2-City.
"""

import mixpanel
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from test_mixpanel_sdk import consumer

LYON = "203.0.113.0/24"
PARIS = "198.51.100.0/24"


def dbip_record(city, region, country, iso):
    return {
        "city": {"names": {"en": city}},
        "continent": {"code": "EU", "names": {"en": "Europe"}},
        "country": {"iso_code": iso, "is_in_european_union": True, "names": {"en": country}},
        "location": {"latitude": 45.75, "longitude": 4.85},
        "subdivisions": [{"names": {"en": region}}],
    }


def test_dbip_city_database_gives_places_and_the_address_is_discarded(make_privet, tmp_path):
    db = tmp_path / "dbip-city-lite.mmdb"
    writer = MMDBWriter(ip_version=4, database_type="DBIP-City-Lite", languages=["en"], description="test")
    writer.insert_network(IPSet([LYON]), dbip_record("Lyon", "Auvergne-Rhône-Alpes", "France", "FR"))
    writer.insert_network(IPSet([PARIS]), dbip_record("Paris", "Île-de-France", "France", "FR"))
    writer.to_db_file(str(db))
    config = tmp_path / "privet.toml"
    config.write_text(
        f"""
[privacy]
geoip = "{db}"
[privacy.policy]
location_precision = "city"
k = 1
"""
    )
    server = make_privet(env={"PRIVET_CONFIG": str(config)}).start()
    mp = mixpanel.Mixpanel(server.token, consumer=consumer(server.url))
    mp.track("user-1", "Signed up", {"ip": "203.0.113.7"})
    mp.track("user-2", "Signed up", {"ip": "198.51.100.20"})
    mp.track("user-3", "Signed up", {"ip": "192.0.2.1"})  # not in the database: no place

    rows = server.sql("SELECT country, region, city FROM events ORDER BY city NULLS LAST")
    assert rows == [
        ["FR", "Auvergne-Rhône-Alpes", "Lyon"],
        ["FR", "Île-de-France", "Paris"],
        [None, None, None],
    ]
    everything = str(server.sql("SELECT * FROM events"))
    for address in ["203.0.113.7", "198.51.100.20", "192.0.2.1"]:
        assert address not in everything
