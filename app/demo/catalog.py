"""Word lists and regional facts the demo generator draws from (all names fictitious)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ProvinceProfile:
    code: str  # 2025 province code
    weight: int  # relative number of cooperatives
    commodities: tuple[str, ...]  # what its cooperatives mostly grow or raise


# ~20 provinces across the six regions, with the commodities they are known for.
PROVINCES: tuple[ProvinceProfile, ...] = (
    ProvinceProfile("01", 6, ("vegetables", "rice", "fruit")),
    ProvinceProfile("08", 4, ("tea", "honey", "herbs")),
    ProvinceProfile("14", 5, ("fruit", "coffee", "vegetables")),
    ProvinceProfile("15", 4, ("cinnamon", "tea", "fruit")),
    ProvinceProfile("19", 7, ("tea", "rice", "vegetables")),
    ProvinceProfile("24", 5, ("fruit", "rice", "livestock")),
    ProvinceProfile("25", 6, ("tea", "fruit", "livestock")),
    ProvinceProfile("33", 5, ("rice", "vegetables", "fruit")),
    ProvinceProfile("38", 6, ("rice", "livestock", "vegetables")),
    ProvinceProfile("40", 5, ("fruit", "tea", "livestock")),
    ProvinceProfile("48", 3, ("cinnamon", "vegetables", "aquatic")),
    ProvinceProfile("52", 6, ("coffee", "pepper", "cashew")),
    ProvinceProfile("56", 3, ("salt", "fruit", "aquatic")),
    ProvinceProfile("66", 9, ("coffee", "pepper", "fruit")),
    ProvinceProfile("68", 9, ("coffee", "vegetables", "fruit")),
    ProvinceProfile("75", 5, ("cashew", "pepper", "fruit")),
    ProvinceProfile("80", 4, ("rice", "fruit", "vegetables")),
    ProvinceProfile("82", 6, ("rice", "fruit", "aquatic")),
    ProvinceProfile("86", 5, ("fruit", "rice", "aquatic")),
    ProvinceProfile("91", 7, ("rice", "aquatic", "fruit")),
    ProvinceProfile("92", 5, ("rice", "fruit", "aquatic")),
    ProvinceProfile("96", 4, ("aquatic", "salt", "rice")),
)

# Vietnamese word for each commodity as it appears in cooperative names.
COMMODITY_WORDS: dict[str, tuple[str, ...]] = {
    "rice": ("lúa gạo", "lúa chất lượng cao", "gạo sạch"),
    "coffee": ("cà phê", "cà phê bền vững"),
    "pepper": ("hồ tiêu", "tiêu sạch"),
    "cashew": ("điều",),
    "tea": ("chè", "chè an toàn", "trà"),
    "fruit": ("cây ăn quả", "sầu riêng", "thanh long", "bưởi", "xoài", "vải thiều"),
    "vegetables": ("rau an toàn", "rau hữu cơ", "rau củ"),
    "aquatic": ("thủy sản", "tôm sinh thái", "cá tra"),
    "livestock": ("chăn nuôi", "chăn nuôi lợn", "gà đồi"),
    "honey": ("mật ong", "nuôi ong"),
    "herbs": ("dược liệu",),
    "cinnamon": ("quế", "quế hồi"),
    "salt": ("muối", "diêm nghiệp"),
}

COMMODITY_SUBTYPE: dict[str, str] = {
    "aquatic": "fishery",
    "livestock": "livestock",
    "honey": "livestock",
    "cinnamon": "forestry",
    "salt": "salt",
}

PLACE_WORDS = (
    "Hòa Bình", "Tân Tiến", "Thành Công", "Phú Lộc", "An Phát", "Đồng Tâm", "Hưng Thịnh",
    "Tân Phú", "Bình Minh", "Thuận Thành", "Phước Hòa", "Sơn Trà", "Nam Tiến", "Hợp Lực",
    "Đại Phong", "Tiến Đạt", "Quyết Thắng", "Hòa Lợi", "Xuân Mai", "Thịnh Vượng", "Kim Sơn",
    "Ngọc Lâm", "Trường Xuân", "Mỹ Hưng", "Tân Lập", "Vĩnh Phát", "Đoàn Kết", "Lộc An",
)

FAMILY_NAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
    "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Lương", "Hà", "Triệu",
)
MIDDLE_NAMES = ("Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Đức", "Quốc", "Xuân", "Thu")
GIVEN_NAMES = (
    "An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương",
    "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phúc", "Quang", "Sơn",
    "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tuấn", "Vân", "Yến",
)

ENTERPRISE_STEMS = (
    ("Công ty Cổ phần Nông sản", "Xanh Việt"),
    ("Công ty TNHH Thực phẩm", "Sao Mai"),
    ("Công ty Cổ phần Xuất nhập khẩu", "Đông Dương"),
    ("Công ty TNHH Cà phê", "Cao Nguyên Vàng"),
    ("Công ty Cổ phần Chế biến", "Miền Tây Xanh"),
    ("Công ty TNHH Trà", "Sương Sớm"),
    ("Công ty Cổ phần Gạo", "Hạt Ngọc Phương Nam"),
    ("Công ty TNHH Trái cây", "Nhiệt Đới"),
    ("Công ty Cổ phần Thủy sản", "Biển Bạc"),
    ("Công ty TNHH Gia vị", "Hương Rừng"),
    ("Công ty Cổ phần Vật tư Nông nghiệp", "Đất Lành"),
    ("Công ty TNHH Siêu thị", "Phố Chợ"),
)

# More place-like words, so that ~200 cooperative and group names stay distinct without
# numbering them. Common auspicious words, not the names of real communes.
PLACE_WORDS_EXTRA = (
    "An Khang", "Bình An", "Cẩm Thành", "Đông Hưng", "Gia Phú", "Hòa Khánh", "Hồng Phong",
    "Hưng Phát", "Khánh Hòa Tây", "Liên Hiệp", "Minh Phát", "Nam Phong", "Nghĩa Tân",
    "Phú Cường", "Phúc Lợi", "Quang Minh", "Sông Xanh", "Suối Mát", "Tân Hòa", "Tân Thịnh",
    "Thanh Bình", "Thạnh Phú", "Thuận An Đông", "Tiền Phong", "Trung Hậu", "Vạn Phúc Tây",
    "Xuân Phú", "Yên Bình", "Đồng Xanh", "Hòa Thuận Đông", "Phước Lộc", "Tân Hưng Thịnh",
)
ALL_PLACE_WORDS = PLACE_WORDS + PLACE_WORDS_EXTRA

STREET_NAMES = (
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hùng Vương", "Quang Trung", "Lý Thường Kiệt",
    "Hai Bà Trưng", "Ngô Quyền", "Phan Chu Trinh", "Nguyễn Du", "Lê Duẩn", "Võ Thị Sáu",
)

# Agricultural cooperative names; "{c}" is a commodity word, "{p}" a place word.
AGRI_NAME_TEMPLATES = (
    "Hợp tác xã Nông nghiệp {c} {p}",
    "Hợp tác xã {c} {p}",
    "Hợp tác xã Sản xuất và Tiêu thụ {c} {p}",
    "Hợp tác xã Dịch vụ Nông nghiệp {c} {p}",
)
GENERAL_AGRI_NAME_TEMPLATES = (
    "Hợp tác xã Nông nghiệp {p}",
    "Hợp tác xã Dịch vụ Nông nghiệp Tổng hợp {p}",
)
CLEAN_WATER_NAME_TEMPLATE = "Hợp tác xã Dịch vụ Nước sạch {p}"

# Cooperatives outside agriculture, by field group (national statistics).
NON_AGRI_NAME_TEMPLATES: dict[str, tuple[str, ...]] = {
    "trade_services": (
        "Hợp tác xã Thương mại Dịch vụ {p}",
        "Hợp tác xã Vận tải {p}",
        "Hợp tác xã Du lịch Cộng đồng {p}",
        "Hợp tác xã Dịch vụ Môi trường {p}",
        "Hợp tác xã Chợ {p}",
    ),
    "industry_construction": (
        "Hợp tác xã Xây dựng {p}",
        "Hợp tác xã Mây tre đan {p}",
        "Hợp tác xã Cơ khí {p}",
        "Hợp tác xã Dệt thổ cẩm {p}",
        "Hợp tác xã Gốm {p}",
    ),
    "finance": ("Quỹ Tín dụng Nhân dân {p}",),
}
# Share of the non-agricultural cooperatives in each field group.
NON_AGRI_SHARES = (("trade_services", 0.55), ("industry_construction", 0.30), ("finance", 0.15))

THT_NAME_TEMPLATES = ("Tổ hợp tác {c} {p}", "Tổ hợp tác Sản xuất {c} {p}")

# Words used for short names: long legal forms shortened as Vietnamese registries do.
SHORT_FORMS = (
    ("Liên hiệp Hợp tác xã", "LHHTX"),
    ("Hợp tác xã", "HTX"),
    ("Tổ hợp tác", "THT"),
    ("Quỹ Tín dụng Nhân dân", "QTDND"),
    ("Công ty Cổ phần", "CTCP"),
    ("Công ty TNHH", "Công ty TNHH"),
    ("Chi nhánh Công ty TNHH", "CN Công ty TNHH"),
)


@dataclass(frozen=True)
class UnionProfile:
    """A cooperative union (LHHTX): its province, main commodity and fictitious name."""

    key: str
    province_code: str
    commodity: str
    name: str


UNIONS: tuple[UnionProfile, ...] = (
    UnionProfile("union-coffee-66", "66", "coffee", "Liên hiệp Hợp tác xã Cà phê Đại Ngàn"),
    UnionProfile("union-tea-19", "19", "tea", "Liên hiệp Hợp tác xã Chè Đồi Sương"),
    UnionProfile("union-rice-91", "91", "rice", "Liên hiệp Hợp tác xã Lúa gạo Phù Sa Vàng"),
    UnionProfile("union-fruit-86", "86", "fruit", "Liên hiệp Hợp tác xã Trái cây Miệt Vườn"),
    UnionProfile("union-veg-68", "68", "vegetables", "Liên hiệp Hợp tác xã Rau hoa Sương Mờ"),
    UnionProfile("union-aquatic-96", "96", "aquatic", "Liên hiệp Hợp tác xã Tôm Rừng Mũi Xanh"),
)


@dataclass(frozen=True)
class EnterpriseProfile:
    """An enterprise the demo creates: its name (a legal form + line of business and a
    brand word, or a full fixed name), its role in value chains and what it trades."""

    role: str  # buyer | processor | input_supplier | retailer
    stem: str  # legal form and line of business; the brand word follows
    commodities: tuple[str, ...]
    name: str = ""  # a fixed full name (FDI-like companies, the demo's anchor buyer)
    province_code: str = ""  # fixed province, else chosen among the commodities' provinces


ENTERPRISES: tuple[EnterpriseProfile, ...] = (
    # Buyers and exporters.
    EnterpriseProfile(
        "buyer",
        "Công ty TNHH Cà phê",
        ("coffee",),
        "Công ty TNHH Cà phê Cao Nguyên Vàng",
        "66",
    ),
    EnterpriseProfile("buyer", "Công ty Cổ phần Cà phê", ("coffee",)),
    EnterpriseProfile(
        "buyer",
        "Công ty Cổ phần Xuất nhập khẩu Nông sản",
        ("coffee", "pepper", "cashew"),
    ),
    EnterpriseProfile("buyer", "Công ty TNHH Gia vị", ("pepper", "cinnamon")),
    EnterpriseProfile("buyer", "Công ty Cổ phần Gạo", ("rice",)),
    EnterpriseProfile("buyer", "Công ty TNHH Lương thực", ("rice",)),
    EnterpriseProfile("buyer", "Công ty TNHH Trái cây", ("fruit",)),
    EnterpriseProfile("buyer", "Công ty Cổ phần Xuất khẩu Rau quả", ("fruit", "vegetables")),
    EnterpriseProfile("buyer", "Công ty Cổ phần Trà", ("tea",)),
    EnterpriseProfile("buyer", "Công ty TNHH Thương mại Nông sản", ("vegetables", "rice", "fruit")),
    EnterpriseProfile("buyer", "Công ty Cổ phần Thủy sản", ("aquatic",)),
    EnterpriseProfile(
        "retailer",
        "Công ty TNHH Siêu thị",
        ("vegetables", "fruit", "rice", "livestock"),
        province_code="79",
    ),
    EnterpriseProfile(
        "retailer",
        "Công ty Cổ phần Chuỗi Thực phẩm Sạch",
        ("vegetables", "livestock", "fruit"),
        province_code="01",
    ),
    # Processors.
    EnterpriseProfile("processor", "Công ty Cổ phần Chế biến Thủy sản", ("aquatic",)),
    EnterpriseProfile("processor", "Công ty TNHH Chế biến Điều", ("cashew",)),
    EnterpriseProfile("processor", "Công ty Cổ phần Thực phẩm", ("livestock",)),
    EnterpriseProfile("processor", "Công ty TNHH Chế biến Nông sản", ("fruit", "vegetables")),
    EnterpriseProfile("processor", "Công ty Cổ phần Chè", ("tea",)),
    EnterpriseProfile("processor", "Công ty TNHH Dược liệu", ("herbs", "cinnamon")),
    EnterpriseProfile("processor", "Công ty Cổ phần Ong mật", ("honey",)),
    EnterpriseProfile("processor", "Công ty TNHH Muối", ("salt",)),
    EnterpriseProfile("processor", "Công ty Cổ phần Xay xát Lương thực", ("rice",)),
    EnterpriseProfile("processor", "Công ty TNHH Cà phê Rang xay", ("coffee",)),
    # Input suppliers (seed, fertiliser, feed, equipment).
    EnterpriseProfile(
        "input_supplier",
        "Công ty Cổ phần Phân bón",
        ("rice", "coffee", "vegetables"),
    ),
    EnterpriseProfile(
        "input_supplier",
        "Công ty Cổ phần Phân bón Hữu cơ",
        ("fruit", "tea", "pepper"),
    ),
    EnterpriseProfile(
        "input_supplier",
        "Công ty TNHH Giống cây trồng",
        ("rice", "vegetables", "fruit"),
    ),
    EnterpriseProfile("input_supplier", "Công ty TNHH Thức ăn Chăn nuôi", ("livestock", "aquatic")),
    EnterpriseProfile(
        "input_supplier",
        "Công ty Cổ phần Vật tư Nông nghiệp",
        ("coffee", "pepper", "cashew"),
    ),
    EnterpriseProfile(
        "input_supplier",
        "Công ty TNHH Thiết bị Tưới",
        ("coffee", "fruit", "vegetables"),
    ),
    EnterpriseProfile("input_supplier", "Công ty TNHH Thuốc Thú y", ("livestock",)),
    # FDI-like companies (fictitious foreign brands).
    EnterpriseProfile("buyer", "", ("coffee",), "Công ty TNHH Brightmoor Coffee Việt Nam", "79"),
    EnterpriseProfile(
        "buyer",
        "",
        ("fruit", "vegetables"),
        "Công ty TNHH Kaedefield Foods Việt Nam",
        "01",
    ),
    EnterpriseProfile(
        "input_supplier",
        "",
        ("rice", "vegetables"),
        "Công ty TNHH Hanul Agro Việt Nam",
        "75",
    ),
    EnterpriseProfile("processor", "", ("aquatic",), "Công ty TNHH Nordvik Seafood Việt Nam", "92"),
)

# Brand words for enterprise names ("Công ty TNHH Trái cây <brand>"); fictitious.
BRAND_WORDS = (
    "Xanh Việt", "Sao Mai", "Đông Dương", "Miền Tây Xanh", "Sương Sớm", "Hạt Ngọc Phương Nam",
    "Nhiệt Đới", "Biển Bạc", "Hương Rừng", "Đất Lành", "Phố Chợ", "Mùa Vàng", "Bốn Mùa",
    "Đại Phát", "Thảo Nguyên", "Hoa Sen Vàng", "Trường An", "Phương Đông", "Việt Hưng",
    "Nắng Mới", "Tâm An", "Lộc Điền", "Hưng Long", "An Lạc", "Kim Phát", "Thiên Phúc",
    "Mộc An", "Ruộng Xanh", "Phù Sa", "Minh Châu", "Sen Việt", "Hải Đăng", "Tân Mỹ",
)

# Branches (dependent units, code "<parent>-NNN"): parent's fixed name, branch province.
ENTERPRISE_BRANCHES = (
    ("Công ty TNHH Brightmoor Coffee Việt Nam", "66"),
    ("Công ty TNHH Brightmoor Coffee Việt Nam", "68"),
)

HOUSEHOLD_BUSINESS_STEMS = (
    "Hộ kinh doanh Thu mua Nông sản",
    "Hộ kinh doanh Vật tư Nông nghiệp",
    "Hộ kinh doanh Sơ chế Trái cây",
)

# Fictitious certification bodies (VietGAP, GlobalG.A.P., 4C, food safety; organic).
CERTIFICATION_BODIES = (
    "Công ty TNHH Chứng nhận Chất lượng Phương Nam",
    "Trung tâm Chứng nhận Nông sản An Tâm",
    "Công ty Cổ phần Giám định và Chứng nhận Đất Việt",
)
ORGANIC_CERTIFICATION_BODY = "Tổ chức Chứng nhận Hữu cơ Bông Lúa"
# Real issuing authorities, named by role: planting-area codes and 5-star OCOP.
PLANT_PROTECTION_AUTHORITY = "Cục Trồng trọt và Bảo vệ thực vật"
NATIONAL_OCOP_AUTHORITY = "Bộ Nông nghiệp và Môi trường"

# Certification schemes (values of linkages' CertScheme) by commodity, most common first.
CERT_SCHEMES: dict[str, tuple[str, ...]] = {
    "coffee": ("vietgap", "4c", "rainforest", "organic_usda", "ocop"),
    "pepper": ("vietgap", "organic_eu", "globalgap", "ocop"),
    "cashew": ("organic_eu", "vietgap", "ocop"),
    "tea": ("vietgap", "ocop", "organic_vn", "rainforest"),
    "fruit": ("planting_area_code", "vietgap", "globalgap", "ocop"),
    "vegetables": ("vietgap", "organic_vn", "ocop"),
    "rice": ("vietgap", "ocop", "organic_vn", "globalgap"),
    "aquatic": ("vietgap_aquaculture", "globalgap", "ocop"),
    "livestock": ("vietgahp", "ocop"),
    "honey": ("ocop", "organic_eu", "vietgahp"),
    "herbs": ("ocop", "organic_vn"),
    "cinnamon": ("organic_eu", "ocop"),
    "salt": ("ocop",),
}
# OCOP products by commodity, for the certificate's scope.
OCOP_PRODUCTS: dict[str, tuple[str, ...]] = {
    "coffee": ("Cà phê rang xay", "Cà phê nhân xanh chế biến ướt"),
    "pepper": ("Hồ tiêu đen", "Tiêu đỏ chín cây"),
    "cashew": ("Hạt điều rang muối",),
    "tea": ("Chè búp khô", "Trà xanh đặc sản"),
    "fruit": ("Bưởi da xanh", "Xoài cát", "Vải thiều sấy khô", "Thanh long ruột đỏ"),
    "vegetables": ("Rau củ sơ chế đóng gói",),
    "rice": ("Gạo thơm đặc sản", "Gạo lứt"),
    "aquatic": ("Tôm khô", "Khô cá tra"),
    "livestock": ("Giò lụa", "Gà đồi thả vườn"),
    "honey": ("Mật ong hoa cà phê", "Mật ong rừng"),
    "herbs": ("Trà dược liệu",),
    "cinnamon": ("Tinh dầu quế", "Quế thanh"),
    "salt": ("Muối tôm", "Muối biển sạch"),
    "handicraft": ("Giỏ mây tre đan", "Khăn thổ cẩm"),
}

# Technologies a cooperative of each commodity plausibly uses (values of TechnologyTag).
TECHNOLOGIES: dict[str, tuple[str, ...]] = {
    "coffee": ("drip_irrigation", "iot_sensors", "drones"),
    "pepper": ("drip_irrigation", "iot_sensors"),
    "cashew": ("drip_irrigation", "drones"),
    "tea": ("drip_irrigation", "drones", "iot_sensors"),
    "fruit": ("drip_irrigation", "drones", "cold_chain", "iot_sensors"),
    "vegetables": ("greenhouse", "hydroponics", "iot_sensors", "drip_irrigation"),
    "rice": ("drones", "iot_sensors"),
    "aquatic": ("iot_sensors", "cold_chain"),
    "livestock": ("iot_sensors", "cold_chain"),
    "honey": ("cold_chain",),
    "herbs": ("tissue_culture", "greenhouse"),
    "cinnamon": ("drones",),
    "salt": ("iot_sensors",),
}

# The fruit each province is known for, so a fruit cooperative's name and products fit its
# province ("cây ăn quả" — fruit trees in general — elsewhere).
FRUITS_BY_PROVINCE: dict[str, tuple[str, ...]] = {
    "01": ("bưởi", "cam"),
    "14": ("xoài", "nhãn"),
    "15": ("cây ăn quả",),
    "24": ("vải thiều",),
    "25": ("bưởi",),
    "33": ("nhãn",),
    "40": ("cam",),
    "56": ("xoài", "nho"),
    "66": ("sầu riêng", "bơ"),
    "68": ("thanh long", "bơ"),
    "75": ("sầu riêng", "chôm chôm"),
    "80": ("thanh long", "mãng cầu"),
    "82": ("xoài", "sầu riêng"),
    "86": ("bưởi", "dừa"),
    "91": ("xoài",),
    "92": ("bưởi", "chôm chôm"),
}
# Fruit sold abroad needs a planting-area code (mã số vùng trồng).
EXPORT_FRUITS = frozenset(
    {"sầu riêng", "thanh long", "xoài", "bưởi", "vải thiều", "nhãn", "chôm chôm", "dừa"}
)


# --- anchors shared by the registry seeder (country) and the traces seeder -----------------

# Every demo value is drawn on a fixed timeline whose "today" is this day; seeding moves it
# to the real seeding day (see app.demo.country's docstring).
REFERENCE_DATE = date(2026, 1, 15)
# Organisations the demo accounts belong to: fixed names (so the accounts table is a
# constant), generated like the others otherwise.
COFFEE_HTX = "Hợp tác xã Nông nghiệp Cà phê Hòa Thuận Xanh"
PEPPER_HTX = "Hợp tác xã Hồ tiêu Tân Lập Đông"
COFFEE_UNION = UNIONS[0].name  # Liên hiệp Hợp tác xã Cà phê Đại Ngàn (Đắk Lắk)
COFFEE_BUYER = ENTERPRISES[0].name  # Công ty TNHH Cà phê Cao Nguyên Vàng
