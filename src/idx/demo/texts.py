"""The demo's place data in every interface language: the city, its departments, counters and hours.

Japanese stays in the records' own fields (and English in ``name_en`` where the model has one);
this table fills ``i18n`` (see ``idx.common.i18n``) so that a resident reading English,
Portuguese, Vietnamese, Chinese, Spanish or Filipino — or やさしい日本語 — meets no untranslated
department, counter or opening hours. Counter and room names follow a pattern and are built.
"""

from __future__ import annotations

import re
from typing import Any

LANGS = ("ja-easy", "en", "pt-br", "vi", "zh-hans", "es", "fil")


def _row(*texts: str) -> dict[str, str]:
    return dict(zip(LANGS, texts, strict=True))


MUNICIPALITY_TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "iga": {
        "name": _row(
            "伊賀市（いがし）",
            "Iga City",
            "Cidade de Iga",
            "Thành phố Iga",
            "伊贺市",
            "Ciudad de Iga",
            "Lungsod ng Iga",
        ),
        "address": _row(
            "〒518-8501 三重県 伊賀市 四十九町 3184番地",
            "3184 Shijukucho, Iga, Mie 518-8501",
            "3184 Shijukucho, Iga, Mie 518-8501",
            "3184 Shijukucho, Iga, Mie 518-8501",
            "三重县伊贺市四十九町3184番地（邮编518-8501）",
            "3184 Shijukucho, Iga, Mie 518-8501",
            "3184 Shijukucho, Iga, Mie 518-8501",
        ),
    },
    "watarai": {
        "name": _row(
            "度会町（わたらいちょう）",
            "Watarai Town",
            "Cidade de Watarai",
            "Thị trấn Watarai",
            "度会町",
            "Pueblo de Watarai",
            "Bayan ng Watarai",
        ),
        "address": _row(
            "〒516-2195 三重県 度会郡 度会町 棚橋 1215番地1",
            "1215-1 Tanahashi, Watarai, Mie 516-2195",
            "1215-1 Tanahashi, Watarai, Mie 516-2195",
            "1215-1 Tanahashi, Watarai, Mie 516-2195",
            "三重县度会郡度会町棚桥1215番地1（邮编516-2195）",
            "1215-1 Tanahashi, Watarai, Mie 516-2195",
            "1215-1 Tanahashi, Watarai, Mie 516-2195",
        ),
    },
}

DEPARTMENT_NAMES: dict[str, dict[str, str]] = {
    "kodomo-katei": _row(
        "こども家庭課（こどもと 家族の 係）",
        "Child and Family Division",
        "Divisão de Crianças e Família",
        "Phòng Trẻ em và Gia đình",
        "儿童家庭科",
        "División de Niñez y Familia",
        "Dibisyon ng Bata at Pamilya",
    ),
    "hoiku-youchien": _row(
        "保育幼稚園課（保育園と 幼稚園の 係）",
        "Nursery and Kindergarten Division",
        "Divisão de Creches e Jardins de Infância",
        "Phòng Nhà trẻ và Mẫu giáo",
        "保育幼儿园科",
        "División de Guarderías y Jardines de Infancia",
        "Dibisyon ng Nursery at Kindergarten",
    ),
    "kenko-suishin": _row(
        "健康推進課（けんこうの 係）",
        "Health Promotion Division",
        "Divisão de Promoção da Saúde",
        "Phòng Nâng cao Sức khỏe",
        "健康推进科",
        "División de Promoción de la Salud",
        "Dibisyon ng Pagpapalaganap ng Kalusugan",
    ),
    "kaigo-koureifukushi": _row(
        "介護高齢福祉課（介護と お年寄りの 係）",
        "Long-term Care and Elderly Welfare Division",
        "Divisão de Cuidados e Bem-estar do Idoso",
        "Phòng Chăm sóc Dài hạn và Phúc lợi Người cao tuổi",
        "护理老年福祉科",
        "División de Cuidados y Bienestar de Mayores",
        "Dibisyon ng Pangangalaga at Kapakanan ng Nakatatanda",
    ),
    "jumin": _row(
        "住民課（住民票などの 係）",
        "Resident Registration Division",
        "Divisão de Registro de Residentes",
        "Phòng Đăng ký Cư trú",
        "居民科",
        "División de Registro de Residentes",
        "Dibisyon ng Pagpaparehistro ng Residente",
    ),
    "shimin-seikatsu": _row(
        "市民生活課（くらしの 係）",
        "Civic Life Division",
        "Divisão de Vida Cidadã",
        "Phòng Đời sống Thị dân",
        "市民生活科",
        "División de Vida Ciudadana",
        "Dibisyon ng Pamumuhay ng Mamamayan",
    ),
    "haikibutsu": _row(
        "廃棄物対策課（ごみの 係）",
        "Waste Management Division",
        "Divisão de Gestão de Resíduos",
        "Phòng Quản lý Rác thải",
        "废弃物对策科",
        "División de Gestión de Residuos",
        "Dibisyon ng Pamamahala ng Basura",
    ),
    "zeimu": _row(
        "税務課（税金の 係）",
        "Taxation Division",
        "Divisão de Impostos",
        "Phòng Thuế",
        "税务科",
        "División de Impuestos",
        "Dibisyon ng Buwis",
    ),
    "kiki-kanri": _row(
        "危機管理課（災害の 係）",
        "Crisis Management Division",
        "Divisão de Gestão de Crises",
        "Phòng Quản lý Khủng hoảng",
        "危机管理科",
        "División de Gestión de Crisis",
        "Dibisyon ng Pamamahala ng Krisis",
    ),
    "suido": _row(
        "上下水道部 料金課（水道の お金の 係）",
        "Water and Sewerage Billing Division",
        "Divisão de Cobrança de Água e Esgoto",
        "Phòng Thu phí Cấp thoát nước",
        "上下水道部 费用科",
        "División de Facturación de Agua y Alcantarillado",
        "Dibisyon ng Singil sa Tubig at Alkantarilya",
    ),
}

COUNTER_HOURS_TEXTS = _row(
    "月曜日から 金曜日、朝 8時30分から 夕方 5時15分まで（土曜日・日曜日・祝日・年末年始は 休み）",
    "Weekdays 8:30 a.m. to 5:15 p.m. (closed on weekends, public holidays and 29 Dec to 3 Jan)",
    "Dias úteis, das 8h30 às 17h15 (fechado aos fins de semana, feriados e de 29/12 a 3/1)",
    "Ngày thường, 8:30 đến 17:15 (nghỉ thứ Bảy, Chủ nhật, ngày lễ và từ 29/12 đến 3/1)",
    "工作日 上午8:30至下午5:15（周六、周日、节假日及12月29日至1月3日休息）",
    "Días laborables de 8:30 a 17:15 (cerrado fines de semana, festivos y del 29/12 al 3/1)",
    "Lunes hanggang Biyernes, 8:30 n.u. hanggang 5:15 n.h. (sarado tuwing Sabado, Linggo, pista opisyal at Dis 29 hanggang Ene 3)",
)

# Places that are not "本庁舎N階 …": their names per language.
PLACES: dict[str, dict[str, str]] = {
    "ハイトピア伊賀 4階": _row(
        "ハイトピア伊賀 4階",
        "Hightopia Iga, 4th floor",
        "Hightopia Iga, 4º andar",
        "Hightopia Iga, tầng 4",
        "Hightopia伊贺 4楼",
        "Hightopia Iga, 4.º piso",
        "Hightopia Iga, ika-4 na palapag",
    ),
    "さくらリサイクルセンター": _row(
        "さくら リサイクル センター",
        "Sakura Recycling Center",
        "Centro de Reciclagem Sakura",
        "Trung tâm Tái chế Sakura",
        "樱花回收中心",
        "Centro de Reciclaje Sakura",
        "Sakura Recycling Center",
    ),
}

_FLOOR = re.compile(r"^本庁舎(\d+)階(?: (\d+)番窓口)?$")
_COUNTER = re.compile(r"^(\d+)番窓口$")
_ROOM = re.compile(r"^相談室(\d+)$")


def _ordinal_en(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def place_texts(place: str) -> dict[str, str]:
    """A counter or place name (本庁舎1階 12番窓口, 1番窓口, 相談室1) in every language."""
    if place in PLACES:
        return PLACES[place]
    match = _FLOOR.match(place)
    if match:
        floor, counter = int(match.group(1)), match.group(2)
        texts = _row(
            f"市役所 {floor}階",
            f"City Hall, {_ordinal_en(floor)} floor",
            f"Prefeitura, {floor}º andar",
            f"Tòa thị chính, tầng {floor}",
            f"市政府 {floor}楼",
            f"Ayuntamiento, {floor}.º piso",
            f"City Hall, ika-{floor} na palapag",
        )
        if counter:
            extra = _row(
                f" {counter}番 窓口",
                f", counter {counter}",
                f", guichê {counter}",
                f", quầy số {counter}",
                f" {counter}号窗口",
                f", ventanilla {counter}",
                f", counter {counter}",
            )
            texts = {language: texts[language] + extra[language] for language in LANGS}
        return texts
    match = _COUNTER.match(place)
    if match:
        n = match.group(1)
        return _row(
            f"{n}番 窓口",
            f"Counter {n}",
            f"Guichê {n}",
            f"Quầy số {n}",
            f"{n}号窗口",
            f"Ventanilla {n}",
            f"Counter {n}",
        )
    match = _ROOM.match(place)
    if match:
        n = match.group(1)
        return _row(
            f"相談室 {n}",
            f"Consultation room {n}",
            f"Sala de atendimento {n}",
            f"Phòng tư vấn {n}",
            f"咨询室{n}",
            f"Sala de consulta {n}",
            f"Silid konsultasyon {n}",
        )
    return {}


SERVICE_TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "kosodate-soudan": {
        "name": _row(
            "子育ての 相談",
            "Child-rearing consultation",
            "Consulta sobre criação dos filhos",
            "Tư vấn nuôi dạy con",
            "育儿咨询",
            "Consulta sobre crianza",
            "Konsultasyon sa pagpapalaki ng anak",
        ),
        "description": _row(
            "子育てで 困って いる ことや、手当・支援に ついて、保健師や 相談員が 話を 聞きます。オンラインでも 相談 できます。",
            "A public health nurse or counsellor listens to your worries about raising children and explains allowances and support. Online consultation is possible.",
            "Uma enfermeira de saúde pública ou conselheira ouve suas preocupações sobre a criação dos filhos e explica auxílios e apoios. É possível consulta online.",
            "Y tá y tế công cộng hoặc tư vấn viên lắng nghe những lo lắng về việc nuôi con và giải thích trợ cấp, hỗ trợ. Có thể tư vấn trực tuyến.",
            "保健师或咨询员倾听您育儿方面的烦恼，并介绍津贴和支援制度。也可以在线咨询。",
            "Una enfermera de salud pública o un consejero escucha sus dudas sobre la crianza y explica ayudas y apoyos. Se puede consultar en línea.",
            "Pakikinggan ng public health nurse o tagapayo ang inyong alalahanin sa pagpapalaki ng anak at ipapaliwanag ang mga allowance at suporta. Puwede rin online.",
        ),
    },
    "kaigo-soudan": {
        "name": _row(
            "介護の 相談",
            "Nursing care consultation",
            "Consulta sobre cuidados",
            "Tư vấn chăm sóc điều dưỡng",
            "护理咨询",
            "Consulta sobre cuidados",
            "Konsultasyon sa pangangalaga",
        ),
        "description": _row(
            "介護保険の 申請や、サービスの 使い方を 相談 できます。",
            "Ask about applying for long-term care insurance and using care services.",
            "Tire dúvidas sobre o pedido do seguro de cuidados e o uso dos serviços.",
            "Tư vấn về việc đăng ký bảo hiểm chăm sóc dài hạn và sử dụng dịch vụ.",
            "可以咨询护理保险的申请和服务的使用方法。",
            "Consulte sobre la solicitud del seguro de cuidados y el uso de los servicios.",
            "Magtanong tungkol sa pag-apply sa long-term care insurance at paggamit ng mga serbisyo.",
        ),
    },
    "mynumber-card": {
        "name": _row(
            "マイナンバーカードを 受け取る",
            "My Number Card pick-up",
            "Retirada do Cartão My Number",
            "Nhận thẻ My Number",
            "领取个人编号卡",
            "Recogida de la tarjeta My Number",
            "Pagkuha ng My Number Card",
        ),
        "description": _row(
            "はがき（交付通知書）と、本人で ある ことが わかる 書類を 持って きて ください。",
            "Bring the notification postcard and an identity document.",
            "Traga o cartão-postal de aviso e um documento de identidade.",
            "Hãy mang theo bưu thiếp thông báo và giấy tờ tùy thân.",
            "请携带领取通知明信片和身份证件。",
            "Traiga la postal de aviso y un documento de identidad.",
            "Dalhin ang notification postcard at isang ID.",
        ),
    },
    "juminhyo": {
        "name": _row(
            "住民票の 窓口",
            "Certificate of residence counter",
            "Guichê de atestado de residência",
            "Quầy giấy chứng nhận cư trú",
            "住民票窗口",
            "Ventanilla de certificados de residencia",
            "Counter ng sertipiko ng paninirahan",
        ),
        "description": _row(
            "住民票の 写しや 印鑑登録証明書を 出します。予約が なくても、番号札を 取って 待つ ことが できます。",
            "Copies of the certificate of residence, seal registration certificates and more. Without a booking you can take a number and wait.",
            "Cópias do atestado de residência, certificados de registro de carimbo e outros. Sem reserva, você pode pegar uma senha e aguardar.",
            "Cấp bản sao giấy chứng nhận cư trú, giấy chứng nhận đăng ký con dấu v.v. Không đặt lịch cũng có thể lấy số và chờ.",
            "办理住民票副本、印章登记证明等。没有预约也可以取号等候。",
            "Copias del certificado de residencia, certificados de registro de sello y más. Sin reserva puede tomar un número y esperar.",
            "Kopya ng sertipiko ng paninirahan, sertipiko ng rehistro ng selyo at iba pa. Kahit walang booking, puwedeng kumuha ng numero at maghintay.",
        ),
    },
    "zei-soudan": {
        "name": _row(
            "税金の 相談",
            "Tax consultation",
            "Consulta sobre impostos",
            "Tư vấn thuế",
            "税务咨询",
            "Consulta sobre impuestos",
            "Konsultasyon sa buwis",
        ),
        "description": _row(
            "市民税・県民税や 固定資産税などの 相談です。",
            "Questions about municipal and prefectural tax, fixed asset tax and more.",
            "Dúvidas sobre imposto municipal e provincial, imposto sobre imóveis e outros.",
            "Tư vấn về thuế thị dân, thuế tỉnh, thuế tài sản cố định v.v.",
            "市县民税、固定资产税等方面的咨询。",
            "Consultas sobre impuesto municipal y prefectural, impuesto sobre bienes inmuebles y más.",
            "Mga tanong tungkol sa buwis ng lungsod at prefecture, buwis sa ari-arian at iba pa.",
        ),
    },
}


def department_i18n(code: str, counter: str) -> dict[str, Any]:
    texts: dict[str, Any] = {"counter_hours": COUNTER_HOURS_TEXTS}
    if code in DEPARTMENT_NAMES:
        texts["name"] = DEPARTMENT_NAMES[code]
    counter_texts = place_texts(counter)
    if counter_texts:
        texts["counter"] = counter_texts
    return texts
