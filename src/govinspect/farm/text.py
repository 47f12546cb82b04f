"""Synthetic government-style Chinese text, composed from the farm's own fragments.

Every fragment here is written for the farm (nothing is copied from real pages) and is encodable in GBK, so
GBK sites can carry any of it. The defect tables (typos, serious errors, sensitive words, outdated names) are
the only place wrong forms appear: the clean generators never produce them.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

TOPICS = [
    "安全生产", "疫情防控", "优化营商环境", "脱贫攻坚", "乡村振兴", "河长制", "森林防火", "扫黑除恶专项斗争",
    "生态环境保护", "复工复产", "春季农业生产", "招商引资", "文明城市创建", "消防安全", "食品安全", "防汛抗旱",
    "民生工程", "重点项目建设", "政务公开", "“放管服”改革", "农村人居环境整治", "城乡环境综合整治", "稳就业",
    "减税降费", "全民健身", "义务教育均衡发展", "秸秆禁烧", "道路交通安全", "信访维稳", "审计整改",
    "耕地保护", "城市管理", "安全隐患排查", "社会信用体系建设", "数字政府建设", "养老服务体系建设",
]  # fmt: skip

PLACES = [
    "城东新区", "工业园区", "高新区", "滨江片区", "老城区", "经济开发区", "物流园", "现代农业示范园", "文化产业园",
    "港口作业区", "旅游度假区", "城南片区",
]  # fmt: skip

MEETING_TITLES = [
    "{org}召开{year}年第{n}次常务会议",
    "{org}召开{topic}工作会议",
    "{org}召开{topic}工作推进会",
    "{org}专题部署{topic}工作",
    "{org}领导赴{place}调研{topic}工作",
    "{org}开展{topic}专项检查",
    "{org}扎实推进{topic}",
    "{area}{topic}工作取得阶段性成效",
    "{org}组织开展{topic}宣传活动",
    "{org}召开{topic}座谈会",
    "{org}督导检查{place}{topic}工作",
    "{area}{topic}现场观摩会召开",
]  # fmt: skip

NOTICE_TITLES = [
    "关于做好{year}年{topic}工作的通知",
    "关于开展{topic}专项行动的通知",
    "关于{year}年{topic}项目拟安排资金的公示",
    "关于{topic}有关事项的公告",
    "关于调整{topic}工作机制的通告",
    "关于召开{topic}工作会议的通知",
    "关于公布{year}年{topic}检查结果的通报",
]  # fmt: skip

DOC_KINDS = [
    "实施方案",
    "管理办法",
    "实施意见",
    "工作方案",
    "三年行动计划（2020—2022年）",
    "若干措施",
    "考核办法",
]

PERSONNEL_TITLES = [
    "{org}关于{name}等同志任职的通知",
    "{year}年{org}公开招聘工作人员公告",
    "{org}拟任职干部任前公示",
    "{org}关于{name}同志免职的通知",
    "{year}年{org}公开遴选公务员公告",
]  # fmt: skip

PLAN_TITLES = [
    "{org}{year}年工作要点",
    "{year}年{topic}工作计划",
    "{area}{topic}专项规划",
    "{org}{year}年政务公开工作要点",
]  # fmt: skip

GENERIC_TITLES = [
    "{area}{year}年{topic}情况通报",
    "{org}{topic}工作情况报告",
    "关于{topic}工作进展情况的说明",
    "{area}{topic}信息公开",
]  # fmt: skip

MESSAGE_ISSUES = [
    "小区路灯长期不亮", "楼下餐馆油烟扰民", "道路积水严重", "公交站台破损", "小区垃圾清运不及时", "学校周边交通拥堵",
    "农村饮水水质问题", "养老保险转移接续", "公积金提取条件", "子女入学户籍要求", "企业开办流程", "不动产登记办理时限",
    "医保异地报销", "建筑工地夜间施工噪音", "农民工工资拖欠", "新能源汽车充电桩建设", "老旧小区改造进度",
    "居住证办理材料",
]  # fmt: skip

SERVICE_ITEMS = [
    "建设工程规划许可证核发", "个体工商户设立登记", "城乡居民基本养老保险参保登记", "最低生活保障申请",
    "食品经营许可", "道路运输经营许可", "残疾人证核发", "公共场所卫生许可", "取水许可", "林木采伐许可证核发",
    "居民身份证申领", "医疗机构执业登记", "民办学校设立审批", "临时救助申请", "就业失业登记", "户外广告设置许可",
]  # fmt: skip

GUIDE_ELEMENTS = [
    "事项名称", "设定依据", "申请条件", "办理材料", "办理地点", "办理机构", "收费标准", "办理时间", "联系电话", "办理流程",
]  # fmt: skip

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌春晓海燕鹏飞玲宇浩"

TOWN_STEMS = [
    "城关", "临湖", "双明", "清水", "石门", "新塘", "白沙", "龙口", "桥头", "黄田", "长岭", "东港", "杨林", "河口",
    "枫林", "高桥", "罗坊", "梅岭", "金竹", "大塘",
]  # fmt: skip

PARAGRAPHS_OPEN = [
    "{date}，{org}召开会议，深入学习贯彻习近平新时代中国特色社会主义思想和党的十九大及十九届二中、三中、四中全会精神，研究部署{topic}工作。",
    "为认真贯彻落实上级关于{topic}的决策部署，{date}，{org}组织相关单位召开专题会议，听取前一阶段工作情况汇报。",
    "{date}上午，{org}主要负责同志带队深入{place}，实地察看{topic}工作开展情况，并召开座谈会听取意见建议。",
    "近日，{org}印发通知，对{year}年{topic}工作作出安排，要求各地各部门压实责任、细化措施、确保实效。",
]  # fmt: skip

PARAGRAPHS_BODY = [
    "会议指出，做好{topic}工作，是增强“四个意识”、坚定“四个自信”、做到“两个维护”的具体体现，各级各部门要提高政治站位，切实把思想和行动统一到上级决策部署上来。",
    "会议强调，要坚持以人民为中心的发展思想，聚焦群众反映强烈的突出问题，建立问题清单、任务清单和责任清单，确保各项任务按期完成。",
    "要加强统筹协调，形成工作合力，牵头单位要主动作为，配合单位要各司其职，做到信息共享、措施联动。",
    "要强化督查考核，对工作推进不力、措施落实不到位的单位和个人严肃问责，以严实作风推动{topic}工作落地见效。",
    "据统计，今年以来全{area_short}共排查各类问题{n1}个，已完成整改{n2}个，整改率达{pct}%。",
    "下一步，{org}将一如既往抓好{topic}各项工作，再接再厉，持续巩固提升工作成效，为全{area_short}经济社会高质量发展提供有力保障。",
    "各单位要按照职责分工，认真抓好贯彻落实，重要情况及时报告。",
    "会上，相关单位负责同志分别汇报了工作进展情况，并就下一步工作提出了具体意见。",
]  # fmt: skip

REPLY_TEXTS = [
    "您好！您反映的问题已收悉。经核实，相关部门已安排工作人员现场处理，预计近期完成。感谢您对我们工作的关心和支持。",
    "您好！关于您咨询的问题，根据现行政策规定，请携带相关材料到政务服务中心对应窗口办理，具体可拨打咨询电话。",
    "您好！您反映的情况已转交属地乡镇（街道）办理，已督促其限期整改，整改情况将及时向您反馈。",
]  # fmt: skip

# ---- defect vocabulary: wrong forms appear only through these tables ----
TYPOS = [
    ("部署", "布署"), ("贯彻", "贯切"), ("再接再厉", "再接再励"), ("一如既往", "一如继往"), ("座谈会", "坐谈会"),
]  # fmt: skip
SERIOUS_ERRORS = [
    ("习近平新时代中国特色社会主义思想", "习近平新时代中国特色社会主意思想"),
    ("“四个意识”", "“三个意识”"),
    ("“两个维护”", "“两个拥护”"),
    ("“四个自信”", "“三个自信”"),
]
OUTDATED_NAMES = [
    ("国家工商行政管理总局", "国家市场监督管理总局"),
    ("国土资源部", "自然资源部"),
    ("国家卫生和计划生育委员会", "国家卫生健康委员会"),
]
SENSITIVE_WORDS = ["他妈的", "狗官"]
ILLEGAL_TEXT = "出售高仿真枪支弹药，货到付款，联系QQ：{qq}"
GAMBLING_TEXTS = ["澳门葡京娱乐场", "百家乐在线真人娱乐", "时时彩平台注册送彩金"]
AD_TEXTS = ["特价机票低至1折", "无抵押贷款当天到账", "名表奢侈品专卖"]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def masked_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "**"


def fill(template: str, rng: random.Random, **slots: object) -> str:
    values = {
        "topic": rng.choice(TOPICS),
        "place": rng.choice(PLACES),
        "n": rng.randint(1, 12),
        "name": person_name(rng),
    }
    values.update(slots)
    return template.format(**values)


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def body_paragraphs(rng: random.Random, *, org: str, area_short: str, day: date, count: int) -> list[str]:
    topic = rng.choice(TOPICS)
    slots = {
        "org": org,
        "topic": topic,
        "area_short": area_short,
        "date": f"{day.month}月{day.day}日",
        "year": day.year,
        "place": rng.choice(PLACES),
    }
    n1 = rng.randint(30, 400)
    slots.update(n1=n1, n2=n1 - rng.randint(0, n1 // 5), pct=rng.randint(80, 99))
    paras = [rng.choice(PARAGRAPHS_OPEN).format(**slots)]
    pool = list(PARAGRAPHS_BODY)
    rng.shuffle(pool)
    paras += [p.format(**slots) for p in pool[: max(1, count - 1)]]
    return paras


def id_number(rng: random.Random, division: str, born: date) -> str:
    """A checksum-valid synthetic 18-digit resident identity number (GB 11643)."""
    first17 = f"{division}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def mobile_number(rng: random.Random) -> str:
    return rng.choice(("139", "138", "137", "186", "158", "177")) + f"{rng.randint(0, 99999999):08d}"


def masked_mobile(rng: random.Random) -> str:
    return rng.choice(("139", "138", "186")) + "****" + f"{rng.randint(0, 9999):04d}"


def working_day_after(day: date, holidays: frozenset[date]) -> date:
    nxt = day + timedelta(days=1)
    while nxt.weekday() >= 5 or nxt in holidays:
        nxt += timedelta(days=1)
    return nxt
