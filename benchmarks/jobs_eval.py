"""Precision / recall / F1 of job-change extraction on real public FR and EN sentences.

Protocol (see ``benchmarks/README.md``):

* ``benchmarks/data/jobs_test.jsonl`` — the **frozen test split**, drawn by source: no source
  page of it is in the tagger's training data (``enrich/data/jobs_train/``) or in the dev
  splits, and no sentence of it was trained on. Its sha256 is recorded in the README and
  checked here; it is scored with ``--set test`` once per release, with the final code.
* ``benchmarks/data/jobs_eval.jsonl`` — the dev splits (``dev`` .. ``dev4``): the rules were
  written on them and the tagger trained on them, so their figures are optimistic; they are
  for development (``--show-errors`` prints their mistakes).
* ``--set train`` scores ``enrich/data/jobs_train/`` (the tagger's training data: only the
  rules-alone figures and the negatives' firing rate of the rules mean anything there).

Every line has ``lang``, ``domain``, ``source`` and gold ``job_changes`` (person,
organization, title; empty list for negatives that use the same trigger words).

Gold conventions, shared by all files:

* a job change is a new position or mandate taken, announced or confirmed: appointments,
  elections and re-elections, hires, promotions, signings and contract extensions, first-person
  "I joined / I will be"; announced future ones count ("will become", "deviendra");
* not job changes: award nominations ("nommé pour le César", "nominated for best album"),
  dismissals and resignations, candidacies, shortlists and rumours ("linked with", "pressenti"),
  committees appointed, protests or marches joined, people named in a lawsuit, a role merely
  held ("depuis 4 ans responsable de"), generic rules ("le préfet est nommé par décret");
* person as written, without honorifics (Pr, Professor, Mr); organisation as written, null when
  only a pronoun or common noun names it ("the company", "notre Fédération", "the
  microblogging site"); a minister's title carries the ministry ("ministre du Travail",
  organisation null); a prefect's or a mayor's territory is the organisation ("nommé préfet de
  l'Oise": title "préfet", organisation "Oise", as the training files write it; part 9 of the
  benchmark kept such titles whole, a slip of its collector); a legislator's district or state
  is no organisation, which is null unless a body the person joins is named (from part 66 on;
  part 64 labelled the district); an ambassador's country or city of posting is the
  organisation, as a prefect's territory (part 68 on); a player's signing has no title;
  former roles in apposition are not extracted; an office named only by a noun ("prend la
  présidence de") has no title.

A predicted value matches a gold value when, after case/accent/punctuation
folding and dropping leading articles, they are equal or one is contained in the
other as whole words and makes at least a third of its words (the issue's rule: "SNCF"
matches "la SNCF", not "NCF"; "mayor" does not match "mayor in the early hours of the new
year"). Rounds 1-20 counted any whole-word containment; that figure is printed beside
("rule of rounds 1-20"). Each gold value can be matched once. The baseline, measured in
the same run, is a single regular expression per language of the kind one writes first.

The script also runs the ``veille tag jobs`` path over ``benchmarks/data/ordinary_posts.jsonl``
(real posts with no job news, FR and EN; sources in ``benchmarks/data/SOURCES.md``) and prints
the rate of job changes produced per 1,000 posts and the texts/s after loading.

Run: ``python benchmarks/jobs_eval.py [--set dev|train|test|test2|...|test44]
[--pool test29 test30 ...] [--file F.jsonl] [--show-errors]``; the last line is ``f1: X``, the
mean of the organisation and title F1 of veille's extractor on the set (``--pool``: on the
frozen parts read as one set, each part's figures printed beside).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from enrich.job_tagger_train import SPENT_TEST_PARTS  # noqa: E402
from enrich.jobs import extract_job_changes  # noqa: E402

DATA_DIR = ROOT / "benchmarks" / "data"
DEV = DATA_DIR / "jobs_eval.jsonl"
#: The frozen by-source splits, scored once per release (``--set test``, ``--set test2``, ...):
#: (name, SHA-256, lines) of ``benchmarks/data/jobs_NAME.jsonl``. The first (``test``) is the
#: split of rounds 1-3; parts 2 onwards were frozen one or a few at a time, each before any
#: code read it (``benchmarks/README.md``: part 18 was scored in round 21, part 19 in round
#: 23, part 20 frozen in the twenty-second lead session for the next round).
FROZEN_PARTS: tuple[tuple[str, str, int], ...] = (
    ("test", "642d9294b94604d1ceae2b874a3e6bd235875f972dc1b0da00b9970d80a8a3c0", 67),
    ("test2", "add32e6807c8ce30bc0b0a57dc3ee943eaa9bdb41a684df31af28efafaefcce5", 159),
    ("test3", "10273416eab44705a04f89f35fdad454b23ab752565bb060bbe93a1df11fe34d", 119),
    ("test4", "6ce40c45b3bb9e123234e116b2883bda8fae5780d92fc0866cb88d88076692bb", 123),
    ("test5", "00ea5b18e89161ba713ddedf6b60d2f5b8b428bb3a486be31a27b9cc161d2e4c", 172),
    ("test6", "621adb19855aae8831b61703e54a643b4c6ed6a63ef56e4fa96b4dcee5346489", 168),
    ("test7", "0e49bea03a78a96197795e180c548c038cdfb7968fc2230cc69110db2ee838aa", 168),
    ("test8", "c93ff38e9aa05d1af9a4c8fef30748686aa3bd6218dc571d5883d89c94452378", 379),
    ("test9", "81997e010758d8aa2f29ce266a62f184b8ae90838fa2911cc62fd70a6404b8d4", 271),
    ("test10", "85b810f4cfb8ef2691f2095f2381944f76e236384fe5f89c68f626466ffb751d", 239),
    ("test11", "b36b2c2415834fd27f89eead4e5585800f0bc5e1a63ea994b5e1efe69c67348d", 230),
    ("test12", "7305c822e7676fc2d3ccd57aac80d06c1fd7ce71b4f7634f44a2f2f6255061f8", 214),
    ("test13", "ff8b616cb5b726be0e9471b06b6de38cac63469cd3f7f584c4e5b5750c3d69b8", 214),
    ("test14", "ee0fb3d6f0c542541edb064deb31be06c04459bbebe576d2a6bba668ffdda302", 222),
    ("test15", "9b07d3fc2664b12154f096ceab6e85eda98c8b185e689e1f1f1f94670c199434", 220),
    ("test16", "d593c18517a80348457a1b5a3dc0297d73195d87c9a99e8a6651c09800af93ac", 187),
    ("test17", "7648c2e613073c68775ea96aaf7b2f82617d2d68390375fdfafce35c782f3acc", 171),
    ("test18", "e9e8b4192fc02cae3ef44e905bfadb63bbb5011d8c34657c248884da7493e5f0", 160),
    ("test19", "589ad3cbc8a9bbcc9b1b541050e809c6be5aa168c4e38a2a0b201c260d7795d1", 156),
    ("test20", "e99b655ef5b17212ff5d21e07bbd9a65c45c3f622332e46a8f275efe9e29f5f9", 98),
    ("test21", "725b757fb32b8bfa725213f4920e8925299b294699d949c5336b152362ca0f36", 140),
    ("test22", "184c1824d86b856beb3da1768c86536fa8efee5a78bbe2cf08786208fc82e399", 133),
    ("test23", "42c9d5470bdc8d8083f15105d1a10367575a3a2160640966495230f0dbc63a2c", 139),
    ("test24", "2382d51490a18eabd870cc5daa08de6db3c448f29890bff0382e579a3e3d377b", 140),
    ("test25", "49d34efeafd248d91d0dc06204cd7db0e290b44bde55768d5417fffcb0bf5bfa", 130),
    ("test26", "405f0cbf717e15aef48c5b706cce04eec73afe41ab368d53811210ad67aa7321", 134),
    ("test27", "692389ecc197027e4525a1a310914245dd091765770e0b68b9ddd5171c38954d", 122),
    ("test28", "7566e242a9c3d8a6d5628f4db6cd409dce2afc61d87ee0573e16965612b0ddb0", 66),
    ("test29", "fd04dc7e150cd495a6fbd246cbddeb337d0ec5a9ceb046243ada23b7d6a00d63", 19),
    ("test30", "a88fe6d9075238a59b6c9ed4c883cffd94f349c9c19f22f3ec82faa398bf2ec3", 53),
    ("test31", "5601f975c15da350cecd0a9d89db03bf7537b36a4675917e0dac2fe9d7c591e4", 79),
    ("test32", "92c286cdbeb3829c559c568424d5ede4288980f9ae1b81588ae2a911782bdfaf", 20),
    ("test33", "07b60d91da0299ec3dd23527b8243be18a1aaecf947dedbc814f3fe1ec8eb29d", 47),
    ("test34", "ddc4815cef87e9c8a748dc9b2eadd814a9661bfc66ff3ca065b3d247a47f9b9e", 45),
    ("test35", "068466eb0a76e504ddfb13381ace41830f2e20dab7820184429d42e4982d1768", 53),
    ("test36", "e400ca0871d6dfa6c5259f7e4dbf6b340f28a6a5eaa533bd17ebebe711e47281", 73),
    ("test37", "90ff8e92f99086a34a6ded855dc3d99fb554c3228acaf865f88b436c841515cd", 29),
    ("test38", "8ec244dbff499e668f00a06412029e412bbfee51df5cf9b1376ed6162855fa80", 39),
    ("test39", "aeac07a15404afcfcf481171b46b1ba14fc0a625c26f81dafef82e9c892869ef", 67),
    ("test40", "e101c330f99f7c36e8e9a576b93415a4625b00072241848f09a1475c2e2b99e6", 20),
    ("test41", "ac64380a464536cf3befd39bb88ec81d4712500db168a4904b70a71e28df16c2", 39),
    ("test42", "1f8a68bca06c4229d4da45179d5c43bda6dfdbadc5f2bdd10b91a3459b4f1eec", 20),
    ("test43", "d45456c27868000740b27cd71a2892d616e81a6e477e76cf4815c315c436d8f7", 33),
    ("test44", "beb23ef70d96bcaf5d5b4882aa51d892e25ee509aca94a7ee05dfc1f33ee0bec", 64),
    ("test45", "1dfaa42fc60cc20b60eb8d06eaa542abda82598513ac7311d96dbd9482ea35a1", 37),
    ("test46", "bc75e5607a84433c3661ee64781d87d0a3f025eaf04224fce57e7ede132a01aa", 87),
    ("test47", "6697885286e87c2f7638e49bc1dc6639b1800be4703af64941b4c32d471c2442", 136),
    ("test48", "405f75cd354d6cf05275314779b99069392a6f5d292851e263986786a895c412", 137),
    ("test49", "593d37d43679573c409d27ebb59422a77c936ddf5955c41f17ab5ddbfe656d64", 92),
    ("test50", "edfa3e4ec14fbb6ca4539323eb0072e49b037f006835001596089f126ae7d408", 113),
    ("test51", "0b6a222efbbfc8a83f571cf709d60e21b53357cf77bdd154b59d0ede582d6901", 85),
    ("test52", "5a1a0407f010c4bbf71e3df839378b80f24ba9c529a4f6d20f632737468836bd", 82),
    ("test53", "e3a76545ea836952b2b3f66834f5b6b11bb32ffa7100a1ed1a301521d6514506", 38),
    ("test54", "2b2d8b0966303103dceea50b1110b32e0753b462b9ed5d26d2838f72559b0b50", 4),
    ("test55", "7ae50bcda35fdea916144c81edc563f5b2bbd12e2728760d349e98075a43ca70", 16),
    ("test56", "30e4f9833c527efbc03d676ad63d52af2e47f2e47a2e2204791f26fe53cbc080", 13),
    ("test57", "60a60a345839e9a62faba93abf864d9c24e9e90ada34e77d5633de9de89245b3", 80),
    ("test58", "519d3c716fb139ddeb1c34372fc27f9136e1c7cdf141fc46052cc15a0cf452de", 20),
    ("test59", "ab2fa55abfb9e5b945cb66c4f63e7c13505c025785b0ab1970b3637c91ed01d0", 10),
    ("test60", "8e942a959ebcc175755cc15a2d3d20e56889f9eee32e2e9ba09aa9aeca53304c", 11),
    ("test61", "72604142484f90fcc926f219ebf7a464e82a2715d11f91babe41b360328c1b19", 108),
    ("test62", "f8442bae2d7f54ac003d5c577795b7b67667b45fe49ff23cd56c161582ceadc9", 63),
    ("test63", "c2dbab12e025f64c34465680ed1ed8340f1ec41b670c992629cd4f1c0c1528f9", 52),
    ("test64", "ee2834ed5341fe554810c1dd89ac2162ac2e157206cae3caeea4f852cb8c83b7", 98),
    ("test65", "8d77e0a62f7acaff8187f2b3de61a6680b82dfb98d9320e7918e7026a9e79546", 69),
    ("test66", "c646fa211af2807bb9341d519219aa1e5128c0dbc53465d137b3d3bd05fd0a98", 98),
    ("test67", "6738e66a8cbe51da5185090badf774797fddd976b7f1b56d0762b1d978d44bc8", 58),
    ("test68", "04846d54237723093a3a2a7308a1e50010b2b4f2eb062f615f78c095f3360a7a", 25),
    ("test69", "cf53051676170ac6c3f903a27c9e3573f1cc09dd8011fdc8511b34a19f8677b1", 91),
    ("test70", "d23022265880bf63ff26fe35631bcd47014902b88030a2c9dd6837c795ac217e", 92),
    ("test71", "0c00f87713e7fa2f16ddf24b4b64647cc7c19b36302858456f2f91a4eebdd567", 88),
    ("test72", "c51f5c0bd158446122238724284e2956d2770dd4d0eabd1f70cf2136379285be", 31),
    ("test73", "cef2d6d49a5e2910fd41e280a20dc3251df581d84b996248334a8abf9c0df2d1", 17),
    ("test74", "cca4b18a7f47130b79df585c8486ae6e0eaf2d8c7df807425f3c1680d7a383e1", 87),
    ("test75", "e0d70355159ccfefdbee76aefff73f8afb86a1a831f607cbad0292fe56758aaa", 77),
    ("test76", "ed68794b34f9dce2b1f3b83551ed322e2c93e2b895ebadd9818a702f64f8e164", 16),
    ("test77", "c1a23da59f63f1e7c3e4b9347bb1e890ace5a2d964cc8caf997cf301a8566439", 80),
    ("test78", "04995faaabaffceb79cf75f911c68c566ed6b119b8d1399728392197d4f76a35", 31),
    ("test79", "5218962b48bff536d2526e129b23825c5d011a8e7b473580be46f3fa047be216", 89),
    ("test80", "4d2d8b05c8e037fa9615679323113ce36cbd5c9e19d5b004044eeac14caccd88", 49),
    ("test81", "0866f1e138964df39c95ef1340016cc330b1b082f80859cda82dd30ccf63a0c8", 31),
    ("test82", "1678724bd9eeea2a684f6ec9096c70cfda990b6288751fac3fd80121bf1ef96d", 35),
    ("test83", "89f3906d6a697c59b63adb551135e47703756df02aac0dbd7df02276317f1f09", 52),
    ("test84", "3fe6c4bc8ad7b75b392c4f9578040929ed00fc1c2dd50d3d5e5a5322917a169b", 78),
    ("test85", "d72c9ce47d80ac7b2aff4af95ed5aabad50aeda9ab880af112f4e927c3d0db1d", 43),
    ("test86", "744efa83a11cc944c46189669a56dfae9def0733720411b3c91ca5c6274b83ea", 83),
    ("test87", "6878196cc785ca227fec6a6cb2994cf4c8c4051a9fa244269f03a3b8daf06511", 41),
    ("test88", "9987202699bf14bad9e86130c02f27424e0bd66fdc2f1876997dff32ee348c6e", 70),
    ("test89", "8ef20c2546b3f1926ef4d28c5ff82ee0811f69962a706bb21e64666b89e1d783", 23),
    ("test90", "41d9bcf191c168ea6cd093df591a046de059541db101ec69fe5309ffd0182e57", 84),
    ("test91", "3ab2b217f38bb4875c5520c07304e301cb563dddfc249ce22032d85bfc4f0063", 43),
    ("test92", "25af66cdfbb2c0b6274af6cfb8befe933451732839a5dd53104e5b34a39650e3", 77),
    ("test93", "cfeb4356f75c197a853ed6233a74aa4fc0b3a6d0f00fcf46f2a9f7a6d08c2fc5", 40),
    ("test94", "ac76914a7d3a89a7927282d82116a2749d2354291ab7da70587b3b7224e926bd", 72),
    ("test95", "a972b6b9c488e811cbe0fb687e739587222305d9f95854ee6a67b36142db2457", 38),
    ("test96", "0d035b662e55a90a39c578ef95bb61223cc8a74bb74e939667bee841a04d7afa", 32),
    ("test97", "fb5a9187ac6a7d54a01d6f7ead324aa7deed29978c4214c628666dcedc9707e2", 56),
    ("test98", "76ff651a348638737d53b663b50f1d59bf3da90f73d22372bd475b7d55817b5f", 52),
    ("test99", "4458e67908b0aaf9b165369c48eb97a3011e48f648d7c1a8166f24072c06c628", 60),
    ("test100", "10f45258dcceb32d9464d73a831a71f26be3deef3c4f15b196a5604774958e2e", 66),
    ("test101", "82cb30cafc5143194e6824ba8bc66869a9641de5bbcab8b4065879eac38b63d6", 82),
    ("test102", "43e64fca25fa6ce215faffa944618acd0a908ae04b626d540c19f85f11406066", 54),
    ("test103", "02b258ca10ed580d542951c5ba31f6b9813ef87284cfbf08e0161e0ff4b52861", 63),
    ("test104", "a312ea060023099ea332f66d7f8ede1e557c7a2f62dabd3488161921a0d694ab", 39),
    ("test105", "5dd32c482dcd05d42557850172b6b3c9158c851b2a67d48ff981a5a77b8c0179", 60),
    ("test106", "8bf4c1079cc95062d7020165ccd6643e5210898f1eef7d9376ce22316e5aa1f3", 58),
    ("test107", "404b5c6406dae1eac3fcfae26f4e60707f466a6837bbe9ebc01abaa39549161b", 68),
    ("test108", "fa686d4f0deddf2d29a2dccb929dabced422fbc6f908e3c74146b09da5d16e9b", 23),
    ("test109", "f57402cbc2091c563b34e1d8f192c120431e057d4fe418f033bbb379afa2bc6e", 72),
    ("test110", "f36d0bace19a012aaf56f8734897080cd6ea1a8c03a7a98a0d0ece920ae9ddf3", 48),
    ("test111", "28609839a89c822c80b20e62d0a53dbfc52bb05b1de707a0bd27ef426730433a", 31),
    ("test112", "5302257e43c329c780ce2b9686110dae0547e2d5908385057270128e142573e2", 88),
    ("test113", "2d7b008d87071a5a36de25cd468f74f1661f8bc1c1a983ab1b3d02afff762039", 65),
    ("test114", "c13bdff011978db6cdf0aee65e9fd8f73b62256e6d4cebe0c70d53c6bf576325", 66),
    ("test115", "366d31028d787abde3b08090018421933965f496ca22ea897e6c07582cd7847c", 23),
    ("test116", "2f806a4108a0757870b01b580facbb3902567a46db1c62eed275324745205f9d", 50),
    ("test117", "1770571c9b3f3cd6ddb321afaf463ddfdda8c27054ab83f3d11a85dd4dfa5637", 73),
    ("test118", "33e6c5e33d5e6f7271bde0ad2b2094dbe707b5a1e7d1ad62148aef21ae00ee2d", 65),
    ("test119", "aa7ab2eb0e4593383e61967430cc69cf703d594c1eebf442c2acbf6c04be0010", 66),
    ("test120", "a68493a3af15490d49df1c22278270a639fd9c996198f5a48a4d0a0cd3ffbf10", 28),
    ("test121", "7bd8dd953da3bf5d8f420f95dcc95a1519d61918f24299c6bfe0e8add972c444", 49),
    ("test122", "9c1d9d0ca49b5f248abbb6411bc6c632224544f4064f303981575a3532a5f692", 60),
    ("test123", "ad79d3b01c033bed443abfba3bf72a54deabde2739a8f8e4fa55f468d1449db0", 35),
    ("test124", "4173b540d537de82e7927f0c404266d424c56c55558d95dcf6d271683f9f0835", 55),
    ("test125", "feab123ddb99f378b0bc41df4fb6e0da3492e6f5a229c9ff3109205a9b185c1b", 55),
    ("test126", "c5198d68b138657c06fc764d2c300f31d6692418c8a779be7844562b5ddc7d38", 56),
    ("test127", "2da030b68f353ba404666cf11c716ed2660464b666763a6015c62f719c74de24", 65),
    ("test128", "041efea098b7c1c2ed6faadcaaa12441e8c51993c7bcc9f702c82c05039cfdfd", 15),
    ("test129", "9fa73d5b88ffcf29f90342e6c53c0bb0f8ede789d7f3d89fe4a2036f2d929c0d", 60),
    ("test130", "f010f000dd6da5b82749066da5b1a1db65565767fd9b3a2f08b2cd253b03c499", 69),
    ("test131", "9215608731706dbb9669c1728b9caf72a11a3445ea2da746f6cc188b26295ee3", 56),
    ("test132", "e3515dde7d92be58f2cf35a69230969f26d40dceca6adef27e2289ffc2841d5b", 60),
    ("test133", "0260a398ba22c46227d8fff68368b160f66b8a32e42952fd470c5f707ad91268", 67),
    ("test134", "6999259e8e4d64287133689f1d54fbd07c7372ca723ae6dcfb3fc45cd4eaa63c", 45),
    ("test135", "64a0f8dd788092ae5d731ae731638944de519ad36870961cd16f064908ccca38", 33),
    ("test136", "b86e6129d46bd925bd2cae09c1352d5e0dea3727273dd4fc043b03da8d8335a0", 55),
    ("test137", "ea75b554336f0f45ebbc8a11df0ea26a2528433b382685f20be4f2963bf83097", 56),
    ("test138", "b4fdec3d46f34822dab1d82a986625c91c87f1cf9496d588ee74715815bcee4d", 60),
    ("test139", "f3befc712abbc06004d8d6645d6b7e9b9718e0fa8af6e33ce89082413cdab9c1", 29),
    ("test140", "3bf85ecb89a1106eeda0ef41cc59111acaf3fc1963bc7ec34b318d38874b1b1b", 59),
    ("test141", "c96efaf6ff2c3b3d6ce99181ecb4960ab36ddbd238248ee866c677c9da90d450", 62),
    ("test142", "6b8c0861af90dfee646dc0ef9bb174981b53efeef21fbac7ed432d72725a8470", 39),
    ("test143", "51a9abadbbe3af6fec4d847c644e3c21da8df32d0e62870db829f8d23bc6f31b", 40),
    ("test144", "a781e14523de3dbdcb08d3eb9c2af494e9ba5397d5381c8a111d60176893b510", 53),
    ("test145", "f99206de552ac8341a668009f800134bd54ee3deb03d9c5f430c2c0f8abd48e4", 47),
    ("test146", "f876fd8fb993b2ff0fe76d0bd4577c68a9f438b83ecbcf778c7a2fef54562126", 31),
    ("test147", "733e65ee57416a3bfddfb21061f4f816f5a15a4fb726f0e528b5226e6e99d459", 50),
    ("test148", "0787f3841a17dec7ef75ae8e3a1d0a3e8100a51aa54084014a43e1156a454a02", 51),
    ("test149", "312ec89707d8aabb0c2b68de77ef9f175d085e19d503ee5ee1d4861fd9c44974", 41),
    ("test150", "e4b22396dd9e8ea1ea6e1979843cf60c28b5e21faef4a81a2226da83395ba777", 61),
    ("test151", "e99bcca6e01bdf233442bfc8d11b912d3ae14ef96d4237b9c14a5ce64f491ced", 47),
    ("test152", "2b4a820ca64bc7371da3f650e5e99237305de77f048c06df5fcbaa4ad4fc7860", 47),
    ("test153", "65af37670c9c63f38c31e3d507d905be1459b70098f7fb6a0c366ea7a07ddefc", 54),
    ("test154", "f6ee4a089b31394e05154e19ffe5da763245dc364c281c285c20302f8cdbe3fa", 33),
    ("test155", "856d64498e6f6b58bd32af2011c091baff0206874d60f266fd2d981553ef9f74", 56),
    ("test156", "9dc2fd0c855f80c2dcdc859a7ab2739ee7306943b5fb7e60936e69c885be7457", 25),
    ("test157", "47593b1ce6da8f59252d30d62159b8725a8bca9d067430140a4fdceb2d5de5f2", 58),
    ("test158", "2733a18f81a9f71e45d9d6a8258396809ca930be55058dbb2988a488f8edbcf0", 24),
    ("test159", "787826006c1b7cc50cf77349cacd7035cab0a4e9ebbfa49eb70d9d9b860d1e01", 51),
    ("test160", "54962ca9ce0d97cedaca8dc452ca2d6102a596aa75c8199d22a33ab379e29310", 51),
    ("test161", "8f21c9f7cd0f52b1ca3df7f63cc5421e8a7713b032542146740bf0271141cdfc", 24),
    ("test162", "53bbf3ca0d9627373ff18717024d4ad669669d74ead43721876869ef6663a442", 54),
    ("test163", "5484775a290c2c630bd13734275f24b9aa13612ad773079a4255c35487282658", 58),
    ("test164", "4f920d0db1497848aac3803d13667205845fa290157978b65a20c80b46f77cc3", 46),
    ("test165", "189689172336211648dc0ed85b25b84c794c38633473ea54ed9200b7ea2a2ff2", 49),
    ("test166", "e3fcd329a8ac676d35f4281d99650a456db40d8862eaed3224bd86a5a7093949", 51),
    ("test167", "7878a5ddf81b9093a185f062800cb06a3c0bb60858cc8d2afa195fb01bcd6bc7", 50),
    ("test168", "1c31a596412ffed32bcdb7513ae6635e7971c89bbe28e8975de474afa5907c34", 40),
    ("test169", "b5bf6e16cdc22598cb23c756c79a8261df50f31f6e47990d567679342c614bdc", 39),
    ("test170", "20affe2633b3d04a140f87ea4fea3c4d15de9c6c80dd6011df49e6b797ba3d76", 31),
    ("test171", "437bb07c9e80dc66c9b73ba9de91d4a5454b10c056ed27ea41c8037ccb8f2269", 63),
    ("test172", "46c7af250b1c76ce4ddd1d4ce70b3278e1b8c7ba75ad177cd9b5985b2c849b8b", 45),
    ("test173", "518adcb67a4976f6cb27fc3acf9464527daa7dee2ec4564d7bbc9012547f0754", 27),
    ("test174", "8f5515fc0ea0ba616f4cabe274e2f525fdb4046f6df906394261086f0a44ba9e", 24),
)
#: The frozen splits: (file, SHA-256, lines). Scored once per release, mistakes never printed.
FROZEN = {name: (DATA_DIR / f"jobs_{name}.jsonl", sha, n) for name, sha, n in FROZEN_PARTS}
#: Frozen parts already scored once with a released model and trained on since (round 8):
#: their bytes stay frozen, but their figures are not measures any more.
SPENT = {name for name, (path, _, _) in FROZEN.items() if path.name in SPENT_TEST_PARTS}
#: The frozen parts no model has been trained on: the only honest figures.
FRESH = {name: part for name, part in FROZEN.items() if name not in SPENT}
ORDINARY = DATA_DIR / "ordinary_posts.jsonl"
TRAIN_DIR = ROOT / "enrich" / "data" / "jobs_train"
FIELDS = ("organization", "title", "person")


def fold(value: str | None) -> str:
    if not value:
        return ""
    value = unicodedata.normalize("NFKD", value)
    value = "".join(c for c in value if not unicodedata.combining(c)).casefold()
    value = re.sub(r"[^\w]+", " ", value).strip()
    value = re.sub(r"^(the|le|la|les|l|its|their)\s+", "", value)
    return value


def same(pred: str, gold: str) -> bool:
    """The issue's rule: equal after folding, or one contained in the other as whole words
    and at least a third of its words ("chief" matches "police chief", not "York City mayor
    in the early hours of the new year" for "mayor"; round 21: without the third, a reading
    that runs on past its slot was counted right)."""
    p, g = fold(pred), fold(gold)
    if not p or not g:
        return False
    if p == g:
        return True
    short, long_ = sorted((p, g), key=lambda v: len(v.split()))
    return f" {short} " in f" {long_} " and 3 * len(short.split()) >= len(long_.split())


def same_lenient(pred: str, gold: str) -> bool:
    """The rule of rounds 1-20: any whole-word containment (printed beside, for history)."""
    p, g = fold(pred), fold(gold)
    if not p or not g:
        return False
    return p == g or f" {p} " in f" {g} " or f" {g} " in f" {p} "


def score(
    rows: list[dict], preds: list[list[dict]], match: Callable[[str, str], bool] = same
) -> dict[str, tuple[float, float, float]]:
    out: dict[str, tuple[float, float, float]] = {}
    for f in FIELDS:
        tp = fp = fn = 0
        for row, pred in zip(rows, preds, strict=True):
            gold_vals = [c[f] for c in row["job_changes"] if c.get(f)]
            pred_vals = [c[f] for c in pred if c.get(f)]
            used = [False] * len(gold_vals)
            for pv in pred_vals:
                hit = next(
                    (i for i, gv in enumerate(gold_vals) if not used[i] and match(pv, gv)), None
                )
                if hit is None:
                    fp += 1
                else:
                    used[hit] = True
                    tp += 1
            fn += used.count(False)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out[f] = (p, r, f1)
    return out


_BASE_EN = re.compile(
    r"(?:(?P<person>[A-Z][\w.]+(?: [A-Z][\w.]+)+) )?(?:has been |was |is )?"
    r"(?:appointed|named|joins|joined|hired)(?: as)? (?P<title>[\w ]+?) (?:at|of) "
    r"(?P<org>[A-Z][\w&.' -]+)"
)
_BASE_FR = re.compile(
    r"(?:(?P<person>[A-ZÉ][\w-]+(?: [A-ZÉ][\w-]+)+) )?(?:a été |est )?"
    r"(?:nommée?|élue?|rejoint)(?: en tant que| au poste de)? (?P<title>[\w ]+?) "
    r"(?:de la |de l'|du |de |d'|chez )(?P<org>[A-ZÉ][\w' -]+)"
)


def baseline(text: str, lang: str) -> list[dict]:
    rx = _BASE_FR if lang == "fr" else _BASE_EN
    out = []
    for m in rx.finditer(text):
        out.append(
            {
                "person": m.group("person"),
                "organization": m.group("org").strip(),
                "title": m.group("title").strip(),
            }
        )
    return out


def report(name: str, res: dict[str, tuple[float, float, float]]) -> None:
    cells = "  ".join(f"{f[:5]} P={p:.2f} R={r:.2f} F1={f1:.2f}" for f, (p, r, f1) in res.items())
    print(f"{name:<30} {cells}")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def load_set(name: str) -> list[dict]:
    """The labelled rows of ``dev``, ``train`` or the frozen ``test`` split (checked)."""
    if name == "dev":
        return read_jsonl(DEV)
    if name == "train":
        return [row for path in sorted(TRAIN_DIR.glob("*.jsonl")) for row in read_jsonl(path)]
    path, sha256, lines = FROZEN[name]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{path} changed (sha256 {digest}): the frozen split must not move")
    rows = read_jsonl(path)
    assert len(rows) == lines
    return rows


def firing(rows: list[dict], preds: list[list[dict]]) -> tuple[int, int]:
    """Negatives (no gold change) with at least one predicted change, and the negatives."""
    neg = [i for i, r in enumerate(rows) if not r["job_changes"]]
    return sum(1 for i in neg if preds[i]), len(neg)


def ordinary_posts(limit: int | None) -> None:
    """Rate of job changes and texts/s of the ``veille tag jobs`` path on ordinary posts."""
    from veille.cli.tag_jobs import tag_records

    if not ORDINARY.is_file():
        print(f"ordinary posts: {ORDINARY} missing, skipped")
        return
    posts = read_jsonl(ORDINARY)[:limit]
    # Loading (spaCy models, taggers, and the tables langdetect and dateparser read at their
    # first call, round 60) is timed apart: the goal is the rate after loading.
    from enrich.jobs.extract import warm_up

    t0 = time.perf_counter()
    warm_up()
    list(tag_records([{"text": p["text"]} for p in posts[:64]]))
    # One job change per language of the dev split, so that every model and pattern a job
    # change reaches (the title tagger, the rules' lexicons, the language detector) is loaded
    # here and not timed below: few of the first posts reach them (round 37).
    dev = read_jsonl(DEV)
    warm = [
        next(r["text"] for r in dev if r["lang"] == lang and r["job_changes"])
        for lang in ("fr", "en")
    ]
    list(tag_records([{"text": t} for t in warm]))
    load = time.perf_counter() - t0
    records = [{"id": i, "text": p["text"]} for i, p in enumerate(posts)]
    t0, c0 = time.perf_counter(), time.process_time()
    out = list(tag_records(records))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    with_change = [r for r in out if r["job_changes"]]
    by_lang = Counter(p["lang"] for p in posts)
    print(
        f"ordinary posts: {len(posts)} ({by_lang['fr']} fr, {by_lang['en']} en, no job news), "
        f"load {load:.1f}s, {len(posts) / elapsed:.0f} texts/s after loading "
        f"({elapsed:.1f}s wall, {cpu:.1f}s CPU; load average {os.getloadavg()[0]:.1f})"
    )
    from enrich.jobs_prefilter import has_trigger, might_announce_change

    triggered = sum(1 for p in posts if has_trigger(p["text"]))
    read = sum(1 for p in posts if might_announce_change(p["text"]))
    print(
        f"  pre-filter: {triggered} posts hold a trigger expression, {read} pass the gate "
        "(read by spaCy and the tagger)"
    )
    for lang in ("fr", "en"):
        pairs = zip(posts, out, strict=True)
        n = sum(1 for p, r in pairs if p["lang"] == lang and r["job_changes"])
        print(f"  {lang}: {n}/{by_lang[lang]} posts produce a job change")
    # Baseline in the same run: the same path without the pre-filter, on every 10th post.
    sample = [p["text"] for p in posts[::10]]
    t0 = time.perf_counter()
    for start in range(0, len(sample), 64):
        extract_job_changes(sample[start : start + 64], prefilter=False)
    base = time.perf_counter() - t0
    print(
        f"  without the pre-filter (every 10th post, {len(sample)}): "
        f"{len(sample) / base:.0f} texts/s"
    )
    news = {i for i, p in enumerate(posts) if p.get("job_news")}
    plain = [r for i, r in enumerate(out) if i not in news]
    false = [r for r in plain if r["job_changes"]]
    print(
        f"ordinary posts producing a job change: {len(with_change)}/{len(posts)} = "
        f"{1000 * len(with_change) / max(1, len(posts)):.1f} per 1,000; without the "
        f"{len(news)} that tell a job change (job_news, read by a person): {len(false)}/"
        f"{len(plain)} = {1000 * len(false) / max(1, len(plain)):.1f} per 1,000"
    )
    for r in with_change:
        mark = "job news" if int(r["id"]) in news else "false"
        print(f"  - [{mark}] {r['text'][:140]!r} -> {r['job_changes']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--set", choices=("dev", "train", *FROZEN), default="dev")
    ap.add_argument(
        "--pool",
        nargs="+",
        choices=tuple(FROZEN),
        default=None,
        metavar="PART",
        help="score these frozen parts as one set (small parts), with a breakdown by part",
    )
    ap.add_argument(
        "--file", type=Path, default=None, help="score this labelled JSONL instead of a set"
    )
    ap.add_argument(
        "--show-errors", action="store_true", help="print mistakes (never on a frozen split)"
    )
    ap.add_argument("--posts", type=int, default=None, help="at most this many ordinary posts")
    ap.add_argument("--no-posts", action="store_true", help="skip the ordinary posts")
    args = ap.parse_args()
    if args.pool:
        # Small parts read as one set: each row keeps the name of its part for the breakdown.
        rows = [{**row, "part": part} for part in args.pool for row in load_set(part)]
        name = "+".join(args.pool)
    else:
        rows = read_jsonl(args.file) if args.file else load_set(args.set)
        name = str(args.file) if args.file else args.set
    texts = [r["text"] for r in rows]
    t0 = time.perf_counter()
    preds = [[jc.contract() for jc in c] for c in extract_job_changes(texts)]
    elapsed = time.perf_counter() - t0
    rules = [[jc.contract() for jc in c] for c in extract_job_changes(texts, use_tagger=False)]
    base = [baseline(r["text"], r["lang"]) for r in rows]
    fired, n_neg = firing(rows, preds)
    print(f"set {name}: {len(rows)} sentences ({n_neg} negatives), {elapsed:.1f}s incl. load")
    sets = args.pool or [args.set]
    if any(n not in FROZEN or n in SPENT for n in sets) and not args.file:
        print("(the tagger was trained on this set: its figures are optimistic)")
    report("veille", score(rows, preds))
    report("  (rule of rounds 1-20)", score(rows, preds, same_lenient))
    report("  rules alone", score(rows, rules))
    report("  regex baseline", score(rows, base))
    for key in ("lang", "domain", *(("part",) if args.pool else ())):
        for value in sorted({str(r.get(key)) for r in rows}):
            idx = [i for i, r in enumerate(rows) if str(r.get(key)) == value]
            sub = [rows[i] for i in idx]
            sub_fired, sub_neg = firing(sub, [preds[i] for i in idx])
            report(f"  {key}={value} n={len(idx)}", score(sub, [preds[i] for i in idx]))
            print(f"{'':<32}negatives firing {sub_fired}/{sub_neg}")
    rules_fired, _ = firing(rows, rules)
    print(
        f"negatives firing: {fired}/{n_neg} = {100 * fired / max(1, n_neg):.1f}% "
        f"(rules alone {rules_fired}/{n_neg} = {100 * rules_fired / max(1, n_neg):.1f}%)"
    )
    if args.show_errors and (args.file or not any(n in FROZEN for n in sets)):
        for r, p in zip(rows, preds, strict=True):
            gold = [{k: c[k] for k in FIELDS} for c in r["job_changes"]]
            pp = [{k: c[k] for k in FIELDS} for c in p]
            if json.dumps(gold) != json.dumps(pp):
                print(f"- {r['id']}: {r['text']}\n  gold={gold}\n  pred={pp}")
    if not args.no_posts:
        ordinary_posts(args.posts)
    res = score(rows, preds)
    print(f"f1: {(res['organization'][2] + res['title'][2]) / 2:.3f}")


if __name__ == "__main__":
    main()
