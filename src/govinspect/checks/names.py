"""The Chinese names officials read for check ids and severities (reports, ``show``, the dashboard)."""

from __future__ import annotations

CHECK_NAMES: dict[str, str] = {
    "availability.down_at_check": "检查时无法访问",
    "availability.unreachable": "站点无法访问",
    "crawl.incomplete": "抓取未完成",
    "freshness.homepage_stale": "首页不更新",
    "freshness.column_stale": "栏目不更新",
    "freshness.column_blank": "空白栏目",
    "links.broken": "链接不可用",
    "links.blocked": "链接访问受限",
    "footer.site_code": "网站标识码",
    "footer.icp": "ICP备案编号",
    "footer.psb": "公安机关备案标识",
    "footer.conac": "党政机关网站标识",
    "footer.sponsor": "主办单位",
    "footer.jiucuo": "我为政府网站找错",
    "footer.ads": "商业广告",
    "meta.missing": "页面元数据缺失",
    "content.serious_error": "严重表述错误",
    "content.typo": "错别字",
    "content.sensitive": "错敏词",
    "content.privacy_leak": "泄露个人信息",
    "content.illegal": "违法违规内容",
    "content.dark_link": "暗链",
    "content.fake_date": "伪造发稿日期",
    "security.malicious_script": "页面被挂马或篡改",
    "interaction.no_channel": "无有效互动渠道",
    "interaction.reply_overdue": "留言超期未回复",
    "interaction.reply_slow": "留言答复不及时",
    "interaction.survey_feedback_missing": "征集调查未反馈结果",
    "interpretation.missing": "政策文件无解读",
    "interpretation.unlinked": "文件与解读未关联",
    "search.missing": "无站内搜索",
    "search.broken": "站内搜索不可用",
    "service.missing": "无在线服务",
    "service.guide_incomplete": "办事指南要素缺失",
    "transport.tls": "HTTPS证书问题",
    "transport.ipv6": "不支持IPv6",
    "transport.mixed_content": "混合内容",
    "newmedia.serious_error": "严重表述错误（新媒体）",
    "newmedia.stale": "新媒体不更新",
    "newmedia.no_interaction": "无互动功能",
    "newmedia.unregistered": "未备案（瞒报漏报）",
    "newmedia.status_mismatch": "运行状态与备案不符",
    "newmedia.ads": "商业广告（新媒体）",
    "newmedia.duplicate": "同一平台重复开设",
    "newmedia.dormant": "僵尸、睡眠账号",
    "newmedia.typo": "错别字（新媒体）",
}

SEVERITY_NAMES: dict[str, str] = {"veto": "单项否决", "deduction": "扣分", "notice": "提示"}


def check_name(check: str) -> str:
    return CHECK_NAMES.get(check, check)
